#!/usr/bin/env bash
# probe_bench.sh NRB: nrb's probes side by side with the tools they replace, in the fault
# lab (tests/lab), on the same path: wall time and packets sent by the client toward the
# target (an nft counter in the client namespace), and the ratios tool/nrb.
#
#   1. TCP trace to 443 through path_filter (silent after hop 2, 30 TTLs): traceroute -T
#      (and nrb with --window 16, traceroute's 16 probes at once, for the trade-off)
#   2. ICMP + UDP + TCP traces of the healthy 4-hop path: nrb --proto all (concurrent)
#      against traceroute -I, -U, -T one after another; and trace_floor (the same traces
#      on nrb's engine without Lua, built next to nrb: build/tests/bench/trace_floor)
#   3. mtr -r -c 10 -i 0.2 against nrb mtr -c 10 --interval-ms 200 (same per-hop rate)
#   4. ping -c 5 -i 0.2 against nrb ping --count 5 --interval-ms 200
#   5. nc -vz against nrb tcp_syn and nrb tcp (connect)
# A benchmark, not a test: it prints figures (doc/performance.md records them).  Needs
# root; traffic stays inside the lab's namespaces; every command runs under timeout(1).
# NRB_LAB_PREFIX (tests/lab/topology.sh) picks an independent lab (namespaces, lock), so
# the benchmark can run while someone else uses the default lab.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab/lab.sh
[ $# = 1 ] || { echo "usage: probe_bench.sh NRB" >&2; exit 2; }
NRB=$(readlink -f "$1")
FLOOR=$(dirname "$NRB")/tests/bench/trace_floor
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
. "$here/../lab/topology.sh"
exec 9>"$LAB_LOCK"
flock -w 300 9 || { echo "lab lock busy"; exit 1; }
export NRB_LAB_LOCKED=1
trap 'bash "$lab" down >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT TERM

cl() { ip netns exec "$(ns client)" "$@"; }

counter_setup() {
	cl nft -f - <<NFT
table inet nrb_bench {
	chain output {
		type filter hook output priority 0; policy accept;
		ip daddr { $SERVER4 } counter
		ip6 daddr { $SERVER6 } counter
	}
}
NFT
}
counter_read() {
	cl nft list table inet nrb_bench | awk '/counter packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

# run CMD...: time CMD in the client namespace; sets MS (milliseconds, one decimal) and PK.
run() {
	local t0 t1 p0
	p0=$(counter_read)
	t0=$(date +%s%N)
	timeout 120 ip netns exec "$(ns client)" "$@" >/dev/null 2>&1 || true
	t1=$(date +%s%N)
	MS=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.1f", d / 1e6 }')
	PK=$(($(counter_read) - p0))
}
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a + b }'; }

printf '%-46s %9s %9s %7s %8s %8s %7s\n' case "nrb ms" "tool ms" "time x" "nrb pk" "tool pk" "pk x"
row() { # LABEL NRB_MS TOOL_MS NRB_PK TOOL_PK
	awk -v l="$1" -v a="$2" -v b="$3" -v c="$4" -v d="$5" 'BEGIN {
		printf "%-46s %9.1f %9.1f %7.2f %8d %8d %7.2f\n", l, a, b, (a ? b / a : 0), c, d, (c ? d / c : 0) }'
}

# ---- 1. silent after hop 2
bash "$lab" up path_filter >/dev/null
counter_setup
run "$NRB" probe trace "$SERVER4" --proto tcp --port 443 --max-ttl 30 --queries 3; n_ms=$MS n_pk=$PK
run traceroute -T -p 443 -n -q 3 -w 2 -m 30 "$SERVER4"; t_ms=$MS t_pk=$PK
row "tcp trace 443, silent after hop 2 (30 TTLs)" "$n_ms" "$t_ms" "$n_pk" "$t_pk"
run "$NRB" probe trace "$SERVER4" --proto tcp --port 443 --max-ttl 30 --queries 1; n_ms=$MS n_pk=$PK
run traceroute -T -p 443 -n -q 1 -w 2 -m 30 "$SERVER4"; t_ms=$MS t_pk=$PK
row "  same, 1 query per hop" "$n_ms" "$t_ms" "$n_pk" "$t_pk"
run "$NRB" probe trace "$SERVER4" --proto tcp --port 443 --max-ttl 30 --queries 3 --window 16; n_ms=$MS n_pk=$PK
run traceroute -T -p 443 -n -q 3 -w 2 -m 30 "$SERVER4"; t_ms=$MS t_pk=$PK
row "  same, 3 queries, nrb --window 16" "$n_ms" "$t_ms" "$n_pk" "$t_pk"
bash "$lab" down >/dev/null

# ---- 2..5 on the healthy path
bash "$lab" up healthy >/dev/null
counter_setup
run "$NRB" probe trace "$SERVER4" --proto all --port 443 --queries 3; n_ms=$MS n_pk=$PK
t_ms=0 t_pk=0
for m in "-I" "-U -p 33434" "-T -p 443"; do
	# shellcheck disable=SC2086
	run traceroute $m -n -q 3 -w 2 -m 30 "$SERVER4"; t_ms=$(add $t_ms $MS); t_pk=$((t_pk + PK))
done
row "icmp+udp+tcp traces, healthy 4 hops" "$n_ms" "$t_ms" "$n_pk" "$t_pk"

run "$NRB" probe trace "$SERVER4" --proto all --port 443 --queries 3 --pps 1000; n_ms=$MS n_pk=$PK
row "  same, nrb --pps 1000 (tools have no cap)" "$n_ms" "$t_ms" "$n_pk" "$t_pk"

run "$NRB" probe trace "$SERVER6" --proto all --port 443 --queries 3; n_ms=$MS n_pk=$PK
t_ms=0 t_pk=0
for m in "-I" "-U -p 33434" "-T -p 443"; do
	# shellcheck disable=SC2086
	run traceroute -6 $m -n -q 3 -w 2 -m 30 "$SERVER6"; t_ms=$(add $t_ms $MS); t_pk=$((t_pk + PK))
done
row "icmp+udp+tcp traces, healthy 4 hops, IPv6" "$n_ms" "$t_ms" "$n_pk" "$t_pk"

# The healthy 3-protocol case is a few ms against a scatter of +-2 ms per run: the medians
# of 15 alternating runs of each side, with trace_floor (the engine without Lua) between.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
nr=() tr=() fl=() t1=()
for _ in $(seq 15); do
	run "$NRB" probe trace "$SERVER4" --proto all --port 443 --queries 3; nr+=("$MS"); n_pk=$PK
	if [ -x "$FLOOR" ]; then run "$FLOOR" "$SERVER4" 443; fl+=("$MS"); f_pk=$PK; fi
	t_ms=0 t_pk=0
	for m in "-I" "-U -p 33434" "-T -p 443"; do
		# shellcheck disable=SC2086
		run traceroute $m -n -q 3 -w 2 -m 30 "$SERVER4"; t_ms=$(add $t_ms $MS); t_pk=$((t_pk + PK))
		[ "$m" = -I ] && t1+=("$MS")
	done
	tr+=("$t_ms")
done
row "icmp+udp+tcp traces, healthy, median of 15" "$(median "${nr[@]}")" "$(median "${tr[@]}")" "$n_pk" "$t_pk"
[ ${#fl[@]} -gt 0 ] && row "  same traces, engine alone (trace_floor)" "$(median "${fl[@]}")" "$(median "${tr[@]}")" "$f_pk" "$t_pk"
row "  traceroute -I alone (tool column: all three)" "$(median "${t1[@]}")" "$(median "${tr[@]}")" 0 "$t_pk"

run "$NRB" probe mtr "$SERVER4" -c 10 --interval-ms 200; n_ms=$MS n_pk=$PK
run mtr -r -n -c 10 -i 0.2 "$SERVER4"; t_ms=$MS t_pk=$PK
row "mtr 10 rounds at 5/s per hop" "$n_ms" "$t_ms" "$n_pk" "$t_pk"

run "$NRB" probe ping "$SERVER4" --count 5 --interval-ms 200; n_ms=$MS n_pk=$PK
run ping -n -c 5 -i 0.2 "$SERVER4"; t_ms=$MS t_pk=$PK
row "ping 5 x 200 ms" "$n_ms" "$t_ms" "$n_pk" "$t_pk"

run "$NRB" probe tcp_syn "$SERVER4" --port 443; n_ms=$MS n_pk=$PK
run nc -vz -w 2 "$SERVER4" 443; t_ms=$MS t_pk=$PK
row "tcp_syn 443 vs nc -vz" "$n_ms" "$t_ms" "$n_pk" "$t_pk"

run "$NRB" probe tcp "$SERVER4" --port 443 --count 1; n_ms=$MS n_pk=$PK
row "tcp connect (nrb tcp) vs nc -vz" "$n_ms" "$t_ms" "$n_pk" "$t_pk"
bash "$lab" down >/dev/null

# ---- 6. the same traces over a slow path (100 ms each way at r2)
bash "$lab" up high_latency >/dev/null
counter_setup
run "$NRB" probe trace "$SERVER4" --proto all --port 443 --queries 3; n_ms=$MS n_pk=$PK
t_ms=0 t_pk=0
for m in "-I" "-U -p 33434" "-T -p 443"; do
	# shellcheck disable=SC2086
	run traceroute $m -n -q 3 -w 2 -m 30 "$SERVER4"; t_ms=$(add $t_ms $MS); t_pk=$((t_pk + PK))
done
row "icmp+udp+tcp traces, 4 hops, 200 ms RTT" "$n_ms" "$t_ms" "$n_pk" "$t_pk"
run "$NRB" probe trace "$SERVER4" --proto all --port 443 --queries 3 --pps 1000; n_ms=$MS n_pk=$PK
row "  same, nrb --pps 1000" "$n_ms" "$t_ms" "$n_pk" "$t_pk"
run "$NRB" probe mtr "$SERVER4" -c 10 --interval-ms 200; n_ms=$MS n_pk=$PK
run mtr -r -n -c 10 -i 0.2 "$SERVER4"; t_ms=$MS t_pk=$PK
row "mtr 10 rounds at 5/s per hop, 200 ms RTT" "$n_ms" "$t_ms" "$n_pk" "$t_pk"
