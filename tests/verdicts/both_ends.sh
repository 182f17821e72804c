#!/usr/bin/env bash
# both_ends.sh NRB SCENARIO CLASS [HOP]: bring a lab scenario up and run both ends at once,
# as an operator would: the server-side runbook in the server namespace IN THE BACKGROUND
# first (its capture of the client's flow runs for WINDOW_S seconds), then, once its capture
# is running, the standard runbook in the client namespace; wait for the server's run, merge
# the two reports with `nrb merge`, and check the merged class (and hop, when given) and
# that it is high confidence.  Prints the single-end verdicts next to the merged one:
#   RESULT scenario client=CLASS@HOP(conf) server=CLASS(conf) syn_seen=N answered=X
#          merged=CLASS@HOP(conf) want=CLASS[@HOP] seconds=S
# Exit 0 pass, 1 fail, 77 skipped (not root / no netns).  Teardown always (trap); the
# server's run is stopped by its PID if the test ends early.
set -euo pipefail
nrb=$(realpath "$1")
scenario=$2
want=$3
want_hop=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab/lab.sh
# The client's standard runbook (3 rounds) takes 6-13 s in the lab; the window leaves room
# for a slow machine.  The server's run lasts the window whatever happens.
WINDOW_S=${NRB_BOTH_WINDOW_S:-20}

[ "$(id -u)" = 0 ] || { echo "SKIP: lab tests need root"; exit 77; }
ip netns list >/dev/null 2>&1 || { echo "SKIP: 'ip netns' does not work here"; exit 77; }
# shellcheck source=../lab/topology.sh
. "$here/../lab/topology.sh"
exec 9>"$LAB_LOCK"
flock -w 300 9 || { echo "FAIL: lab lock $LAB_LOCK held for 300 s"; exit 1; }
export NRB_LAB_LOCKED=1
tmp=$(mktemp -d /tmp/nrb-both.XXXXXX)
srv_pid=
cleanup() {
  # the server's run, if still going: stop it by its PID (ip netns exec execs nrb)
  if [ -n "$srv_pid" ] && kill -0 "$srv_pid" 2>/dev/null; then
    kill -TERM "$srv_pid" 2>/dev/null || true
    wait "$srv_pid" 2>/dev/null || true
  fi
  "$lab" down >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$lab" up "$scenario" >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; echo "FAIL: lab up"; exit 1; }
if [[ $scenario == *-v6 ]]; then peer=$CLIENT6 target=$SERVER6; else peer=$CLIENT4 target=$SERVER4; fi
t0=$(date +%s.%N)

# 1. the server's side, in the background: capture first, then its other steps, then it
# waits out the window
ip netns exec "$(ns server)" timeout $((WINDOW_S + 60)) "$nrb" run server-side -q \
  --param peer="$peer" --port 443 --param rounds=3 --param window_s="$WINDOW_S" \
  --param pcap="$tmp/server.pcap" --label server --format json --output "$tmp/server.json" \
  </dev/null >"$tmp/server.out" 2>"$tmp/server.err" 9>&- &
srv_pid=$!
# its capture is running once it writes the .pcap (FILE.tmp until it is stopped); bounded
for _ in $(seq 100); do
  [ -e "$tmp/server.pcap.tmp" ] && break
  kill -0 "$srv_pid" 2>/dev/null || break
  sleep 0.05
done
[ -e "$tmp/server.pcap.tmp" ] || { cat "$tmp/server.err"; echo "FAIL: the server's capture did not start"; exit 1; }

# 2. the client reproduces meanwhile
"$lab" exec timeout 120 "$nrb" run standard -q --target "$target" --port 443 --param rounds=3 \
  --param pcap="$tmp/client.pcap" --label client --format json --output "$tmp/client.json"
t_client=$(date +%s.%N)

# 3. the server's run ends when its window is over
rc=0
wait "$srv_pid" || rc=$?
srv_pid=
[ $rc = 0 ] && [ -s "$tmp/server.json" ] || { cat "$tmp/server.err"; echo "FAIL: server-side run (exit $rc)"; exit 1; }
t1=$(date +%s.%N)
"$nrb" merge --format json --output "$tmp/merged.json" "$tmp/client.json" "$tmp/server.json"

IFS=$'\t' read -r line merged mhop conf < <(python3 -c '
import json, sys
c, s, m = (json.load(open(f)) for f in sys.argv[1:4])
cv, sv, mv = c["verdict"], s["verdict"], m["verdict"]
view = sv.get("server_view", {})
h = lambda v: "" if v.get("hop") is None else "@%s" % v["hop"]
line = "client=%s%s(%s) server=%s(%s) syn_seen=%s answered=%s merged=%s%s(%s)" % (
    cv["class"], h(cv), cv.get("confidence"), sv["class"], sv.get("confidence"),
    view.get("syn_seen", "-"), view.get("answered", "-"), mv["class"], h(mv), mv.get("confidence"))
print(line, mv["class"], "null" if mv.get("hop") is None else mv["hop"], mv.get("confidence"), sep="\t")' \
  "$tmp/client.json" "$tmp/server.json" "$tmp/merged.json")
secs=$(python3 -c "print(f'{$t1 - $t0:.1f}')")
csecs=$(python3 -c "print(f'{$t_client - $t0:.1f}')")
echo "RESULT $scenario $line want=$want${want_hop:+@$want_hop} seconds=$secs (client done at $csecs)"
python3 -c '
import json, sys
s, m = (json.load(open(f)) for f in sys.argv[1:3])
[print("  server reason:", r) for r in s["verdict"]["reasons"]]
print("  merged summary:", m["verdict"].get("summary"))
[print("  merged reason:", r) for r in m["verdict"]["reasons"]]' "$tmp/server.json" "$tmp/merged.json"
[ "$merged" = "$want" ] && [ "$conf" = high ] && { [ -z "$want_hop" ] || [ "$mhop" = "$want_hop" ]; } || exit 1
# server_drop's rule has an nft counter: the server-side runbook must see it count the
# client's SYNs during the window (fw_snapshot / fw_hits), as many as its capture saw
if [ "$scenario" = server_drop ]; then
  python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))["verdict"]["server_view"]
hits = v.get("fw_hits") or []
print("  fw_hits:", hits)
ok = len(hits) >= 1 and hits[0]["verdict"] == "drop" and hits[0]["packets"] >= 1 and hits[0]["packets"] == v.get("syn_seen")
sys.exit(0 if ok else 1)' "$tmp/server.json" || { echo "FAIL: the drop rule's counter did not match the SYNs seen"; exit 1; }
fi
