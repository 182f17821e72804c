#!/usr/bin/env bash
# probelab.sh NRB SCENARIO: check nrb's probes against the lab's known topology.
#
# Brings up the fault lab (tests/lab/lab.sh) with SCENARIO, runs `nrb probe ... --format
# json` inside the client namespace, and checks the evidence against the address plan:
# hop addresses (r1 192.0.2.1, r2 198.51.100.2, r3 198.51.100.6, server 203.0.113.10 and
# the IPv6 equivalents), the hop where a filter sits, the MTU of the narrow link.  Exit 0
# all checks passed, 1 a check failed, 77 skipped (not root, no netns).  Teardown on exit.
# Traffic stays inside the lab's namespaces; every probe is bounded (counts, timeouts,
# pps cap) and every command runs under timeout(1).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab/lab.sh
[ $# = 2 ] || { echo "usage: probelab.sh NRB SCENARIO" >&2; exit 2; }
NRB=$(readlink -f "$1")
scenario=$2

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "probe lab tests need root (network namespaces, raw sockets)"
for tool in ip nft jq flock timeout; do
	command -v "$tool" >/dev/null 2>&1 || skip "'$tool' not installed"
done
[ -x "$lab" ] || [ -f "$lab" ] || skip "tests/lab/lab.sh missing"
. "$here/../lab/topology.sh"

exec 9>"$LAB_LOCK"
flock -w 300 9 || { echo "FAIL: lab lock $LAB_LOCK held for 300 s"; exit 1; }
export NRB_LAB_LOCKED=1

tmp=$(mktemp -d /tmp/nrb-probelab.XXXXXX)
finish() {
	local rc=$?
	trap - EXIT INT TERM
	bash "$lab" down >/dev/null 2>&1 || rc=1
	rm -rf "$tmp"
	exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

failures=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; failures=$((failures + 1)); }
# expect NAME GOT WANT
expect() { if [ "$2" = "$3" ]; then ok "$1 = $3"; else bad "$1: got '$2', want '$3'"; fi; }
# expect_le NAME GOT MAX (numbers, GOT may be a float)
expect_le() {
	if awk -v g="$2" -v m="$3" 'BEGIN { exit !(g <= m) }'; then ok "$1 = $2 <= $3"; else bad "$1: got $2, want <= $3"; fi
}

# probe OUT KIND ARGS...: nrb probe KIND ARGS --format json in the client namespace.
probe() {
	local out=$1
	shift
	local t0 t1
	t0=$(date +%s%N)
	if ! timeout 120 bash "$lab" exec "$NRB" probe "$@" --format json >"$tmp/$out" 2>"$tmp/$out.err"; then
		bad "nrb probe $*: $(cat "$tmp/$out.err")"
		echo '{}' >"$tmp/$out"
	fi
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >"$tmp/$out.ms"
}
j() { jq -r "$2" "$tmp/$1"; }
# hops FILE [PATH]: the first responder of every hop, '*' for silent ones.
hops() { jq -r "${2:-}.hops | map(.addresses[0] // \"*\") | join(\" \")" "$tmp/$1"; }

# narrow_link: the healthy lab with a 1280-byte r2-r3 link whose routers do report it
lab_sc=$scenario
[ "$scenario" = narrow_link ] && lab_sc=healthy
bash "$lab" up "$lab_sc" >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; echo "FAIL: lab up $lab_sc"; exit 1; }
if [ "$scenario" = narrow_link ]; then
	bash "$lab" exec-in r2 ip link set eth1 mtu 1280
	bash "$lab" exec-in r3 ip link set eth0 mtu 1280
fi

case $scenario in
healthy)
	for fam in 4 6; do
		if [ $fam = 4 ]; then S=$SERVER4; H="$R1_C4 $R2_L4 $R3_L4 $SERVER4"; else
			S=$SERVER6; H="$R1_C6 $R2_L6 $R3_L6 $SERVER6"; fi
		probe tr$fam.json trace "$S" --proto all --port 443 --queries 2
		for p in icmp udp tcp; do
			expect "v$fam $p trace hops" "$(hops tr$fam.json ".$p")" "$H"
			expect "v$fam $p trace stop" "$(j tr$fam.json ".$p.stop")" reached
			expect "v$fam $p reached_ttl" "$(j tr$fam.json ".$p.reached_ttl")" 4
			expect "v$fam $p dest_reply_ttl" "$(j tr$fam.json ".$p.dest_reply_ttl")" 61
			expect "v$fam $p hop 1 kind" "$(j tr$fam.json ".$p.hops[0].replies[0].kind")" time_exceeded
			expect "v$fam $p hop 1 reply ttl" "$(j tr$fam.json ".$p.hops[0].replies[0].reply_ttl")" 64
			expect "v$fam $p degraded" "$(j tr$fam.json ".$p.degraded")" null
		done
		expect "v$fam icmp dest_answer" "$(j tr$fam.json .icmp.dest_answer)" echo_reply
		expect "v$fam udp dest_answer" "$(j tr$fam.json .udp.dest_answer)" port_unreachable
		expect "v$fam tcp dest_answer" "$(j tr$fam.json .tcp.dest_answer)" syn_ack
		probe ping$fam.json ping "$S" --count 5 --interval-ms 50
		expect "v$fam ping status" "$(j ping$fam.json .status)" ok
		expect "v$fam ping reply_ttl" "$(j ping$fam.json .reply_ttl)" 61
		probe syn$fam.json tcp_syn "$S" --port 443
		expect "v$fam tcp_syn 443" "$(j syn$fam.json .status)" syn_ack
		expect "v$fam tcp_syn reply_ttl" "$(j syn$fam.json .reply_ttl)" 61
		probe rst$fam.json tcp_syn "$S" --port 8443
		expect "v$fam tcp_syn 8443" "$(j rst$fam.json .status)" rst
		probe udpa$fam.json udp "$S" --port 9999
		expect "v$fam udp 9999 (echo service)" "$(j udpa$fam.json .status)" answer
		probe udpc$fam.json udp "$S" --port 9998
		expect "v$fam udp 9998" "$(j udpc$fam.json .status)" port_unreachable
		probe mtr$fam.json mtr "$S" -c 5 --interval-ms 200
		expect "v$fam mtr hops" "$(jq -r '.hops | map(.address // "*") | join(" ")' "$tmp/mtr$fam.json")" "$H"
		expect "v$fam mtr Snt at hop 4" "$(j mtr$fam.json '.hops[3].sent')" 5
		expect "v$fam mtr loss" "$(j mtr$fam.json '[.hops[].loss_pct] | add')" 0
		probe pmtu$fam.json pmtu "$S"
		expect "v$fam pmtu status" "$(j pmtu$fam.json .status)" ok
		expect "v$fam pmtu path_mtu" "$(j pmtu$fam.json .path_mtu)" 1500
	done
	# without privileges (user nobody, ping sockets allowed): degraded, still the hops
	if command -v setpriv >/dev/null 2>&1 && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NRB"; then
		ip netns exec "$(ns client)" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
		timeout 60 ip netns exec "$(ns client)" setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$NRB" probe trace "$SERVER4" --proto all --port 443 --queries 1 --format json \
			>"$tmp/unpriv.json" 2>"$tmp/unpriv.err" || bad "unprivileged trace: $(cat "$tmp/unpriv.err")"
		H="$R1_C4 $R2_L4 $R3_L4 $SERVER4"
		expect "unprivileged icmp trace hops" "$(hops unpriv.json .icmp)" "$H"
		expect "unprivileged udp trace hops" "$(hops unpriv.json .udp)" "$H"
		expect "unprivileged icmp degraded" "$(j unpriv.json '.icmp.degraded != null')" true
		expect "unprivileged tcp answer (connect)" "$(j unpriv.json .tcp.dest_answer)" syn_ack
		expect "unprivileged tcp degraded" "$(j unpriv.json '.tcp.degraded != null')" true
	else
		echo "# skipped the unprivileged checks: $NRB not executable by nobody"
	fi
	;;
path_filter)
	probe tcp443.json trace "$SERVER4" --proto tcp --port 443 --queries 1
	expect "tcp 443 trace hops" "$(hops tcp443.json | cut -d' ' -f1-3)" "$R1_C4 $R2_L4 *"
	expect "tcp 443 stop" "$(j tcp443.json .stop)" silence
	expect "tcp 443 last_ttl (the filter sits after it)" "$(j tcp443.json .last_ttl)" 2
	expect "tcp 443 last_address" "$(j tcp443.json .last_address)" "$R2_L4"
	expect_le "tcp 443 trace time_ms (one 2 s window + sending)" "$(j tcp443.json .time_ms)" 3000
	probe tcp80.json trace "$SERVER4" --proto tcp --port 80 --queries 1
	expect "tcp 80 reached_ttl" "$(j tcp80.json .reached_ttl)" 4
	probe syn.json tcp_syn "$SERVER4" --port 443 --timeout-ms 500
	expect "tcp_syn 443" "$(j syn.json .status)" timeout
	;;
path_reject)
	probe rej.json trace "$SERVER4" --proto tcp --port 443 --queries 1
	expect "stop" "$(j rej.json .stop)" unreachable
	expect "unreachable.kind" "$(j rej.json .unreachable.kind)" admin_prohibited
	expect "unreachable.from" "$(j rej.json .unreachable.from)" "$R2_L4"
	expect "unreachable.ttl" "$(j rej.json .unreachable.ttl)" 3
	probe rej6.json trace "$SERVER6" --proto tcp --port 443 --queries 1
	expect "v6 unreachable.kind" "$(j rej6.json .unreachable.kind)" admin_prohibited
	expect "v6 unreachable.from" "$(j rej6.json .unreachable.from)" "$R2_L6"
	probe syn.json tcp_syn "$SERVER4" --port 443
	expect "tcp_syn 443" "$(j syn.json .status)" icmp
	expect "tcp_syn icmp.from" "$(j syn.json .icmp.from)" "$R2_L4"
	expect "tcp_syn icmp code" "$(j syn.json .icmp.code)" 13
	;;
silent_hop)
	probe sil.json trace "$SERVER4" --proto icmp --queries 1
	expect "icmp trace hops" "$(hops sil.json)" "$R1_C4 * $R3_L4 $SERVER4"
	expect "stop" "$(j sil.json .stop)" reached
	;;
udp_filter)
	probe u.json trace "$SERVER4" --proto udp --port 9999 --queries 1
	expect "udp 9999 last_ttl" "$(j u.json .last_ttl)" 2
	expect "udp 9999 stop" "$(j u.json .stop)" silence
	probe uu.json udp "$SERVER4" --port 9999 --timeout-ms 500
	expect "udp 9999 probe" "$(j uu.json .status)" open_filtered
	;;
pmtu_blackhole)
	probe bh.json pmtu "$SERVER4" --timeout-ms 300
	expect "pmtu status" "$(j bh.json .status)" blackhole
	expect "pmtu path_mtu (the narrow link)" "$(j bh.json .path_mtu)" 1280
	expect "pmtu smallest_lost" "$(j bh.json .smallest_lost)" 1281
	# r2 (hop 2) still answers 1281-byte probes with time exceeded, r3 only small ones
	expect "pmtu hop (r2, the last hop carrying full-size packets)" "$(j bh.json .hop)" 2
	expect "pmtu hop_address" "$(j bh.json .hop_address)" "$R2_L4"
	expect "pmtu next_hop (r3, behind the narrow link)" "$(j bh.json .next_hop)" 3
	probe bh6.json pmtu "$SERVER6" --timeout-ms 300
	expect "v6 pmtu status" "$(j bh6.json .status)" blackhole
	expect "v6 pmtu path_mtu" "$(j bh6.json .path_mtu)" 1280
	expect "v6 pmtu hop" "$(j bh6.json .hop)" 2
	expect "v6 pmtu next_hop" "$(j bh6.json .next_hop)" 3
	;;
narrow_link)
	probe fn.json pmtu "$SERVER4" --timeout-ms 500
	expect "pmtu status" "$(j fn.json .status)" frag_needed
	expect "pmtu path_mtu (the narrow link)" "$(j fn.json .path_mtu)" 1280
	expect "reported.from (r2, hop 2)" "$(j fn.json .reported.from)" "$R2_L4"
	expect "reported.mtu" "$(j fn.json .reported.mtu)" 1280
	probe fn6.json pmtu "$SERVER6" --timeout-ms 500
	expect "v6 pmtu status" "$(j fn6.json .status)" frag_needed
	expect "v6 pmtu path_mtu" "$(j fn6.json .path_mtu)" 1280
	expect "v6 reported.from" "$(j fn6.json .reported.from)" "$R2_L6"
	;;
lossy_link)
	probe m.json mtr "$SERVER4" -c 30 --interval-ms 100
	expect "mtr loss hop 1" "$(j m.json '.hops[0].loss_pct')" 0
	expect "mtr loss hop 2" "$(j m.json '.hops[1].loss_pct')" 0
	l3=$(j m.json '.hops[2].loss_pct'); l4=$(j m.json '.hops[3].loss_pct')
	if awk -v a="$l3" -v b="$l4" 'BEGIN { exit !(a > 0 && b > 0 && b < 80) }'; then
		ok "loss starts at hop 3 ($l3%) and persists to the server ($l4%)"
	else
		bad "loss at hops 3/4: $l3/$l4"
	fi
	;;
*)
	echo "FAIL: no probe checks for scenario $scenario"; exit 1 ;;
esac

echo "# $failures failure(s)"
[ "$failures" = 0 ]
