#!/usr/bin/env bash
# caplab.sh NRB SCENARIO: live capture in the fault lab.  Brings SCENARIO up, runs the Lua
# runbook capture_probe.lua in the client namespace (nrb.capture around a SYN to the port
# and one to port 80), then analyses the .pcap it wrote offline (`nrb analyze`) and checks
# that the live analysis and the offline one agree, and that both say what the scenario is:
#   forged_rst:  the reset on 443 is judged injected, 2 hops away (r2), TTL 63
#   server_drop: the SYN to 443 is seen leaving and nothing comes back (S0)
#   healthy:     the handshake to 443 completes (SYN-ACK seen)
# Exit 0 pass, 1 fail, 77 skipped (not root / no netns).  Teardown always (trap).
set -euo pipefail
nrb=$(realpath "$1")
scenario=$2
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab/lab.sh

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "lab tests need root (network namespaces)"
ip netns list >/dev/null 2>&1 || skip "'ip netns' does not work here"
command -v jq >/dev/null || skip "jq is not installed (tests/install-deps.sh)"

# shellcheck source=../lab/topology.sh
. "$here/../lab/topology.sh"
exec 9>"$LAB_LOCK"
flock -w 300 9 || { echo "FAIL: lab lock $LAB_LOCK held by another user for 300 s"; exit 1; }
export NRB_LAB_LOCKED=1

tmp=$(mktemp -d /tmp/nrb-caplab.XXXXXX)
cleanup() { "$lab" down >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

target=$("$lab" truth "$scenario" | jq -r .target)
"$lab" up "$scenario" >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; echo "FAIL: lab up $scenario"; exit 1; }

fail=0
check() { # NAME GOT WANT
  if [ "$2" = "$3" ]; then echo "ok - $1 ($2)"; else echo "not ok - $1: got '$2', want '$3'"; fail=1; fi
}

"$lab" exec timeout 60 "$nrb" run "$here/capture_probe.lua" -q --target "$target" --port 443 \
  --param pcap="$tmp/live.pcap" --format json --output "$tmp/report.json" 2>"$tmp/err.log" ||
  { cat "$tmp/err.log"; echo "FAIL: nrb run"; exit 1; }
"$lab" exec "$nrb" analyze "$tmp/live.pcap" --target "$target" --format json --output "$tmp/offline.json" ||
  { echo "FAIL: nrb analyze"; exit 1; }

live() { jq -r ".steps[0].evidence | $1" "$tmp/report.json"; }
off() { jq -r "$1" "$tmp/offline.json"; }

check "step status" "$(jq -r '.steps[0].status' "$tmp/report.json")" ok
check "capture ran during the probes" "$(live .running_during_probes)" true
check "pcap named in the evidence" "$(live .pcap)" "$tmp/live.pcap"
check "interface (the route's)" "$(live .interface)" eth0
check "filter" "$(live .filter)" "host $target"
check "stopped by" "$(live .stopped_by)" stop
# the same answer live and offline
check "packets live = offline" "$(live .packets)" "$(off .stats.packets)"
check "connections live = offline" "$(live '[.connections[] | .state + "/" + .history + "/" + (.resp.port|tostring)] | join(" ")')" \
  "$(off '[.connections[] | .state + "/" + .history + "/" + (.resp.port|tostring)] | join(" ")')"
check "findings live = offline" "$(live '[.findings[] | .kind] | join(" ")')" "$(off '[.findings[] | .kind] | join(" ")')"
check "reset provenance live = offline" \
  "$(live '[.connections[] | select(.reset) | .reset.origin + "@" + (.reset.hop|tostring)] | join(" ")')" \
  "$(off '[.connections[] | select(.reset) | .reset.origin + "@" + (.reset.hop|tostring)] | join(" ")')"

conn443='[.connections[] | select(.resp.port == 443)][0]'
case ${scenario%-v6} in
forged_rst)
  check "SYN to 443" "$(live .syn_status)" rst
  check "443 state" "$(live "$conn443.state")" REJ
  check "reset judged" "$(live '.resets[0].verdict')" injected
  check "reset hops away" "$(live '.resets[0].hops_away')" 2
  check "reset TTL" "$(live '.resets[0].ttl')" 63
  check "offline: reset origin" "$(off "$conn443.reset.origin")" injected
  check "offline: reset hop" "$(off "$conn443.reset.hop")" 2
  ;;
server_drop)
  check "SYN to 443" "$(live .syn_status)" timeout
  check "443 state" "$(live "$conn443.state")" S0
  check "SYNs seen leaving" "$( [ "$(live "$conn443.orig.syns")" -ge 1 ] && echo yes)" yes
  check "nothing back" "$(live "$conn443.resp.packets")" 0
  check "finding" "$(live '[.findings[] | select(.kind == "syn_unanswered")] | length')" 1
  check "offline: 443 state" "$(off "$conn443.state")" S0
  ;;
healthy)
  check "SYN to 443" "$(live .syn_status)" syn_ack
  check "SYN-ACK seen" "$( [ "$(live "$conn443.resp.syns")" -ge 1 ] && echo yes)" yes
  check "no resets on 443" "$(live '.resets | length')" 0
  ;;
*) echo "caplab: no expectations for $scenario"; fail=1 ;;
esac
[ $fail = 0 ] && echo "PASS caplab $scenario" || echo "FAIL caplab $scenario"
exit $fail
