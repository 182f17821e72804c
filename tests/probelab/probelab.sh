#!/usr/bin/env bash
# probelab.sh NRB SCENARIO: check nrb's probes against the lab's known topology.
#
# Brings up the fault lab (tests/lab/lab.sh) with SCENARIO, runs `nrb probe ... --format
# json` inside the client namespace, and checks the evidence against the address plan:
# hop addresses (r1 192.0.2.1, r2 198.51.100.2, r3 198.51.100.6, server 203.0.113.10 and
# the IPv6 equivalents), the hop where a filter sits, the MTU of the narrow link; in the
# healthy lab also as uid 65534 (degraded probes, with and without a ping socket), and in
# high_latency that late replies of one probe call answer nothing in the next.  Exit 0
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
		# larger than the 1500-byte links: without DF the kernel fragments it (as it does
		# ping -s 2000's), with DF nothing can be sent
		probe big$fam.json ping "$S" --count 2 --interval-ms 50 --size-bytes 2000
		expect "v$fam ping -s 2000 status" "$(j big$fam.json .status)" ok
		expect "v$fam ping -s 2000 received" "$(j big$fam.json .received)" 2
		probe bigdf$fam.json ping "$S" --count 2 --interval-ms 50 --size-bytes 2000 --df true
		expect "v$fam ping -s 2000 --df status" "$(j bigdf$fam.json .status)" error
		expect "v$fam ping -s 2000 --df sent" "$(j bigdf$fam.json .sent)" 0
	done
	# both families' traces in one session (several targets at once): the same hops and
	# answers as one target at a time, each under its own address
	probe both.json trace "$SERVER4" "$SERVER6" --proto all --port 443 --queries 1
	expect "two targets: keys" "$(jq -r 'keys | join(" ")' "$tmp/both.json")" "$SERVER6 $SERVER4"
	for p in icmp udp tcp; do
		expect "two targets: v4 $p hops" "$(hops both.json ".\"$SERVER4\".$p")" "$R1_C4 $R2_L4 $R3_L4 $SERVER4"
		expect "two targets: v6 $p hops" "$(hops both.json ".\"$SERVER6\".$p")" "$R1_C6 $R2_L6 $R3_L6 $SERVER6"
	done
	expect "two targets: v4 tcp dest_answer" "$(j both.json ".\"$SERVER4\".tcp.dest_answer")" syn_ack
	expect "two targets: v6 icmp dest_answer" "$(j both.json ".\"$SERVER6\".icmp.dest_answer")" echo_reply
	# without privileges (user nobody): degraded, still the hops and the answers
	if ! command -v setpriv >/dev/null 2>&1; then
		echo "SKIP - the unprivileged checks: setpriv (util-linux) is not installed"
	elif ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NRB"; then
		bad "the unprivileged checks cannot run: uid 65534 cannot execute $NRB (build it in a directory every user may enter)"
	else
		# unpriv OUT ARGS...: nrb ARGS as nobody in the client namespace; exit status in OUT.rc
		unpriv() {
			local out=$1 rc=0
			shift
			timeout 60 ip netns exec "$(ns client)" setpriv --reuid=65534 --regid=65534 \
				--clear-groups "$NRB" "$@" >"$tmp/$out" 2>"$tmp/$out.err" || rc=$?
			echo "$rc" >"$tmp/$out.rc"
			[ -s "$tmp/$out" ] || echo '{}' >"$tmp/$out"
		}
		H="$R1_C4 $R2_L4 $R3_L4 $SERVER4"
		# no ping socket either (the kernel's default ping_group_range, "1 0"): what
		# needs none still runs, ping says it cannot (exit 3)
		ip netns exec "$(ns client)" sysctl -qw net.ipv4.ping_group_range="1 0"
		unpriv np-udp.json probe udp "$SERVER4" --port 9999 --format json
		expect "no ping socket: udp 9999 exit" "$(cat "$tmp/np-udp.json.rc")" 0
		expect "no ping socket: udp 9999 (echo service)" "$(j np-udp.json .status)" answer
		unpriv np-udp0.json probe udp "$SERVER4" --port 9998 --format json
		expect "no ping socket: udp 9998" "$(j np-udp0.json .status)" port_unreachable
		unpriv np-tr.json probe trace "$SERVER4" --proto udp --port 9999 --queries 1 --format json
		expect "no ping socket: udp trace hops" "$(hops np-tr.json)" "$H"
		expect "no ping socket: udp trace dest_answer" "$(j np-tr.json .dest_answer)" udp_answer
		unpriv np-syn.json probe tcp_syn "$SERVER4" --port 443 --format json
		expect "no ping socket: tcp_syn 443 (connect)" "$(j np-syn.json .status)" syn_ack
		expect "no ping socket: tcp_syn degraded" "$(j np-syn.json '.degraded != null')" true
		unpriv np-pmtu.json probe pmtu "$SERVER4" --proto udp --port 9999 --format json
		expect "no ping socket: udp pmtu status" "$(j np-pmtu.json .status)" ok
		unpriv np-ping.json probe ping "$SERVER4" --count 1 --format json
		expect "no ping socket: ping exit (environment)" "$(cat "$tmp/np-ping.json.rc")" 3
		# ping sockets allowed
		ip netns exec "$(ns client)" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
		unpriv unpriv.json probe trace "$SERVER4" --proto all --port 443 --queries 1 --format json
		expect "unprivileged trace exit" "$(cat "$tmp/unpriv.json.rc")" 0
		expect "unprivileged icmp trace hops" "$(hops unpriv.json .icmp)" "$H"
		expect "unprivileged udp trace hops" "$(hops unpriv.json .udp)" "$H"
		expect "unprivileged icmp degraded" "$(j unpriv.json '.icmp.degraded != null')" true
		expect "unprivileged tcp answer (connect)" "$(j unpriv.json .tcp.dest_answer)" syn_ack
		expect "unprivileged tcp degraded" "$(j unpriv.json '.tcp.degraded != null')" true
		unpriv unpriv-big.json probe ping "$SERVER4" --count 2 --interval-ms 50 --size-bytes 2000 --format json
		expect "unprivileged ping -s 2000 received" "$(j unpriv-big.json .received)" 2
	fi
	;;
high_latency)
	# a ping whose timeout (10 ms) is shorter than the RTT (200 ms) ends before its echo
	# replies come; they arrive while the next trace runs and must answer none of its probes
	cat >"$tmp/late.lua" <<'LUA'
local probe = require "nrb.probe"
return {
  name = "late-replies", summary = "trace, a ping shorter than the RTT, trace again",
  params = { target = { type = "host", required = true } },
  steps = {
    { id = "t", title = "trace, ping, trace", run = function(ctx)
        local a = ctx.params.target
        local t1 = probe.trace{ address = a, proto = "icmp", queries = 1 }
        local p = probe.ping{ address = a, count = 12, interval_ms = 10, timeout_ms = 10 }
        local t2 = probe.trace{ address = a, proto = "icmp", queries = 1 }
        local h3 = t2.hops[3] and t2.hops[3].replies[1]
        return { t1 = t1.reached_ttl, ping_sent = p.sent, ping_received = p.received,
                 t2 = t2.reached_ttl, t2_hop3 = h3 and h3.kind or "none" }, "ok"
      end },
  },
  verdict = function() return { class = "OK", confidence = "low", summary = "-", reasons = { "-" } } end,
}
LUA
	if ! timeout 120 bash "$lab" exec "$NRB" run "$tmp/late.lua" --target "$SERVER4" --format json \
		>"$tmp/late.json" 2>"$tmp/late.err"; then
		bad "nrb run late.lua: $(cat "$tmp/late.err")"
		echo '{}' >"$tmp/late.json"
	fi
	ev='.steps[0].evidence'
	expect "first trace reached_ttl" "$(j late.json "$ev.t1")" 4
	expect "ping sent, received (every reply late)" "$(j late.json "$ev.ping_sent") $(j late.json "$ev.ping_received")" "12 0"
	expect "second trace reached_ttl" "$(j late.json "$ev.t2")" 4
	expect "second trace hop 3" "$(j late.json "$ev.t2_hop3")" time_exceeded
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
