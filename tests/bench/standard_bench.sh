#!/usr/bin/env bash
# standard_bench.sh NRB [SCENARIO...]: wall time of `nrb run standard` per lab scenario next
# to the same procedure done by hand with the standard tools, one after another, as an
# operator would (seed 000 steps 1-6): ping -c 5, traceroute -I, traceroute -T -p PORT,
# traceroute -U, mtr -r -c 10 (ICMP) and mtr -r -c 10 --tcp -P PORT, nc -vz PORT and
# nc -vz 80, and a PMTU sweep (ping -M do at 1472, 1400, 1280, 1200 bytes).  Prints both
# times and the ratio.  Needs root (the lab); traffic stays inside the lab's namespaces.
set -uo pipefail
nrb=$(realpath "$1"); shift
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab/lab.sh
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(healthy path_filter blackhole server_drop)
[ "$(id -u)" = 0 ] || { echo "standard_bench: needs root (the lab)"; exit 77; }
# shellcheck source=../lab/topology.sh
. "$here/../lab/topology.sh"   # NRB_LAB_PREFIX picks an independent lab
client_ns=$(ns client)

manual() { # TARGET PORT: the hand procedure inside the client namespace
  local t=$1 p=$2 ns="ip netns exec $client_ns"
  $ns ping -n -c 5 -i 0.2 -W 1 "$t"
  $ns traceroute -n -I -q 3 -w 2 -m 30 "$t"
  $ns traceroute -n -T -p "$p" -q 3 -w 2 -m 30 "$t"
  $ns traceroute -n -U -q 3 -w 2 -m 30 "$t"
  $ns mtr -n -r -c 10 "$t"
  $ns mtr -n -r -c 10 --tcp -P "$p" "$t"
  $ns nc -vz -w 2 "$t" "$p"
  $ns nc -vz -w 2 "$t" 80
  for size in 1472 1400 1280 1200; do $ns ping -n -c 1 -W 1 -M do -s $size "$t"; done
}

printf '%-16s %12s %12s %8s  %s\n' scenario "nrb (s)" "manual (s)" ratio verdict
for s in "${scenarios[@]}"; do
  truth=$("$lab" truth "$s")
  read -r target port < <(python3 -c 'import json,sys; t=json.loads(sys.argv[1]); print(t["target"], t["port"] or 443)' "$truth")
  out=$(mktemp)
  "$lab" run "$s" bash -c '
    t0=$(date +%s.%N)
    '"$lab"' exec '"$nrb"' run standard -q --target '"$target"' --port '"$port"' --format json --output '"$out"'.json
    t1=$(date +%s.%N)
    client_ns='"$client_ns"'
    '"$(declare -f manual)"'
    manual '"$target"' '"$port"' >/dev/null 2>&1
    t2=$(date +%s.%N)
    echo "$t0 $t1 $t2" > '"$out"'
  ' >/dev/null 2>&1
  read -r t0 t1 t2 < "$out"
  verdict=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verdict"]; print(v["class"], v.get("hop"))' "$out.json" 2>/dev/null)
  python3 -c "
a=$t1-$t0; m=$t2-$t1
print('%-16s %12.1f %12.1f %7.1fx  %s' % ('$s', a, m, m/a, '$verdict'))"
  rm -f "$out" "$out.json"
done
