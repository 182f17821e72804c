#!/usr/bin/env bash
# both_ends.sh NRB SCENARIO CLASS: bring a lab scenario up, run the standard runbook in the
# client namespace and the server-side runbook in the server namespace, merge the two
# reports with `nrb merge`, and check the merged class (and that it is high confidence).
# Exit 0 pass, 1 fail, 77 skipped (not root / no netns).  Teardown always (trap).
set -euo pipefail
nrb=$(realpath "$1")
scenario=$2
want=$3
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab/lab.sh

[ "$(id -u)" = 0 ] || { echo "SKIP: lab tests need root"; exit 77; }
ip netns list >/dev/null 2>&1 || { echo "SKIP: 'ip netns' does not work here"; exit 77; }
# shellcheck source=../lab/topology.sh
. "$here/../lab/topology.sh"
exec 9>"$LAB_LOCK"
flock -w 300 9 || { echo "FAIL: lab lock $LAB_LOCK held for 300 s"; exit 1; }
export NRB_LAB_LOCKED=1
tmp=$(mktemp -d /tmp/nrb-both.XXXXXX)
cleanup() { "$lab" down >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

"$lab" up "$scenario" >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; echo "FAIL: lab up"; exit 1; }
"$lab" exec "$nrb" run standard -q --target 203.0.113.10 --port 443 --param rounds=3 \
  --label client --format json --output "$tmp/client.json"
"$lab" exec-in server "$nrb" run server-side -q --param peer=192.0.2.2 --port 443 --param rounds=3 \
  --label server --format json --output "$tmp/server.json"
"$nrb" merge --format json --output "$tmp/merged.json" "$tmp/client.json" "$tmp/server.json"
read -r client server merged conf < <(python3 -c '
import json, sys
c, s, m = (json.load(open(f)) for f in sys.argv[1:4])
print(c["verdict"]["class"], s["verdict"]["class"], m["verdict"]["class"], m["verdict"]["confidence"])' \
  "$tmp/client.json" "$tmp/server.json" "$tmp/merged.json")
echo "RESULT $scenario client=$client server=$server merged=$merged ($conf) want=$want"
python3 -c 'import json,sys; [print("  reason:", r) for r in json.load(open(sys.argv[1]))["verdict"]["reasons"]]' "$tmp/merged.json"
[ "$merged" = "$want" ] && [ "$conf" = high ]
