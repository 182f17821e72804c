#!/usr/bin/env bash
# check.sh SCENARIO: bring SCENARIO up, check with the standard tools (ping, traceroute, mtr,
# nc, tracepath, tcpdump, getent) that the lab behaves as the scenario says, tear it down.
#
# Exit 0: every check passed.  1: a check failed (each failure is printed).  77: skipped,
# with the reason on stdout (not root, no `ip netns`, a tool missing) — ctest reports it as
# skipped (SKIP_RETURN_CODE 77), never as passed.  Teardown always runs (trap), and the test
# fails if a namespace of the lab is left behind.
#
# The assertions live in each scenario's sc_check function; the helpers below run the probes
# inside nrb-client, every one bounded in time and count.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=topology.sh
. "$here/topology.sh"

[ $# = 1 ] || { echo "usage: check.sh SCENARIO" >&2; exit 2; }
scenario=$1

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "lab tests need root (network namespaces); run ctest as root to run them"
for tool in ip nft iptables ip6tables tcpdump traceroute mtr nc ping tracepath dnsmasq getent flock timeout; do
	command -v "$tool" >/dev/null 2>&1 || skip "'$tool' not installed (tests/install-deps.sh installs it)"
done
ip netns list >/dev/null 2>&1 || skip "'ip netns' does not work here"
probe_ns=${LAB_PREFIX}probe-$$ # nrb-probe-PID by default; NRB_LAB_PREFIX names it too
ip netns add "$probe_ns" >/dev/null 2>&1 || skip "cannot create a network namespace (ip netns add failed)"
ip netns del "$probe_ns"

# The lab's namespace names are fixed: one lab user at a time (other ctest runs wait).
# Another prefix (NRB_LAB_PREFIX) is an independent lab with its own lock.
lock_t0=$(date +%s%N)
exec 9>"$LAB_LOCK"
flock -w 100 9 || { echo "FAIL: lab lock $LAB_LOCK held by another user for 100 s"; exit 1; }
lock_ms=$(( ($(date +%s%N) - lock_t0) / 1000000 ))
export NRB_LAB_LOCKED=1

scenario_load "$scenario"
declare -F sc_check >/dev/null || { echo "FAIL: scenario $scenario has no sc_check"; exit 1; }

failures=0
tmp=$(mktemp -d /tmp/nrb-lab-check.XXXXXX)
finish() {
	local rc=$?
	trap - EXIT INT TERM
	"$here/lab.sh" down || rc=1
	rm -rf "$tmp"
	lab_check_gone || rc=1
	exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

# --- assertions -----------------------------------------------------------------------------
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; failures=$((failures + 1)); }
# expect_eq WHAT GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: got '$2', want '$3'"; fi; }
# expect_match WHAT GOT EXTENDED_REGEX
expect_match() { if [[ $2 =~ $3 ]]; then ok "$1: $2"; else bad "$1: got '$2', want /$3/"; fi; }
# expect_cmp WHAT NUMBER OP NUMBER  (OP: -lt -le -gt -ge -eq, integers)
expect_cmp() { if test "$2" "$3" "$4"; then ok "$1: $2 $3 $4"; else bad "$1: $2 not $3 $4"; fi; }

# --- probes (all inside nrb-client, all bounded) ---------------------------------------------
# Hop addresses as the client sees them (ICMP errors come from the interface facing the client).
if [ "$FAM" = 6 ]; then
	H1=$R1_C6 H2=$R2_L6 H3=$R3_L6 H4=$SERVER6 PF=-6
else
	H1=$R1_C4 H2=$R2_L4 H3=$R3_L4 H4=$SERVER4 PF=-4
fi
c() { ip netns exec "$(ns client)" "$@"; }

# trace MODE [PORT] [DEST]: traceroute -I|-T|-U, one probe per hop, 1 s wait, at most 6 hops.
# Prints one word per hop: the address (with traceroute's !X/!H/!N/!P flag glued on) or *.
trace() {
	local mode=$1 port=${2:-} dst=${3:-$SRV} args=(-n -q 1 -w 1 -m 6 -N 6 "$PF")
	case $mode in
	I) args+=(-I) ;;
	T) args+=(-T -p "$port") ;;
	U) args+=(-U -p "$port") ;;
	esac
	timeout 30 ip netns exec "$(ns client)" traceroute "${args[@]}" "$dst" 2>/dev/null |
		awk 'NR > 1 { f = ""; for (i = 3; i <= NF; i++) if ($i ~ /^!/) f = $i; printf "%s%s ", $2, f }' |
		sed 's/ $//'
}

# ping_stats DEST COUNT [SIZE]: "LOSS_PERCENT AVG_RTT_MS" (avg "-" when nothing came back).
ping_stats() {
	local out size=${3:-56}
	out=$(timeout 60 ip netns exec "$(ns client)" ping "$PF" -n -q -c "$2" -i 0.2 -W 1 -s "$size" -M "do" "$1" 2>&1 || true)
	local loss avg
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' <<<"$out")
	avg=$(sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p' <<<"$out")
	printf '%s %s\n' "${loss%.*}" "${avg:--}"
}
# ping_ok DEST: succeeds if 3 pings get at least one reply.
ping_ok() { timeout 20 ip netns exec "$(ns client)" ping "$PF" -n -q -c 3 -i 0.2 -W 1 "$1" >/dev/null 2>&1; }
# ping_err DEST: ping's error output (e.g. "Network is unreachable"), empty when none.
ping_err() { timeout 20 ip netns exec "$(ns client)" ping "$PF" -n -q -c 1 -W 1 "$1" 2>&1 >/dev/null | head -n 1 || true; }

# tcp PORT [DEST]: connect with nc (2 s); prints open|refused|unreachable|prohibited|denied|timeout.
tcp() {
	local t0 err rc=0
	t0=$(date +%s%N)
	err=$(timeout 10 ip netns exec "$(ns client)" nc -v -z -w 2 "${2:-$SRV}" "$1" 2>&1) || rc=$?
	if [ $rc = 0 ]; then echo open
	elif [[ $err == *refused* ]]; then echo refused
	elif [[ $err == *"No route to host"* || $err == *unreachable* ]]; then echo unreachable
	elif [[ $err == *"Permission denied"* ]]; then echo prohibited
	elif [[ $err == *"Operation not permitted"* ]]; then echo denied
	elif [ $(( ($(date +%s%N) - t0) / 1000000 )) -ge 1500 ]; then echo timeout
	else echo "other:$err"
	fi
}

# http PORT PATH: bytes received for an HTTP/1.0 GET (read bounded by nc -w 3 and timeout).
http() {
	printf 'GET %s HTTP/1.0\r\nHost: lab\r\n\r\n' "$2" |
		timeout 15 ip netns exec "$(ns client)" nc -w 3 "$SRV" "$1" 2>/dev/null | wc -c
}

# udp_echo PORT: what the UDP echo service sends back (empty when nothing comes back).
udp_echo() {
	echo "nrb-lab-probe" | timeout 10 ip netns exec "$(ns client)" nc -u -w 2 "$SRV" "$1" 2>/dev/null | head -c 100 || true
}

# mtr_loss COUNT: "HOP ADDR LOSS" per hop, mtr -n --report with COUNT ICMP cycles 0.1 s apart.
mtr_loss() {
	timeout 60 ip netns exec "$(ns client)" mtr "$PF" -n -r -c "$1" -i 0.1 -m 6 "$SRV" 2>/dev/null |
		awk '$1 ~ /^[0-9]+\.\|--$/ { h = $1; sub(/\..*/, "", h); l = $3; sub(/%/, "", l); sub(/\..*/, "", l); printf "%s %s %s\n", h, $2, l }'
}

# capture FILTER SECONDS -- CMD...: tcpdump -v on the client's eth0 while CMD runs; prints
# one line per packet (tcpdump's continuation lines joined).
capture() {
	local filter=$1 secs=$2 i; shift 3
	rm -f "$tmp/cap.txt" "$tmp/cap.err"
	: >"$tmp/cap.err"
	timeout "$secs" ip netns exec "$(ns client)" tcpdump -i eth0 -n -l -v -U "$filter" \
		>"$tmp/cap.txt" 2>"$tmp/cap.err" &
	local pid=$!
	for ((i = 0; i < 60; i++)); do
		grep -q "listening on" "$tmp/cap.err" 2>/dev/null && break
		sleep 0.05
	done
	"$@" >/dev/null 2>&1 || true
	sleep 0.3
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	awk '/^ / { printf " %s", $0; next } { if (NR > 1) printf "\n"; printf "%s", $0 } END { printf "\n" }' "$tmp/cap.txt"
}

# ttl_of LINES: the TTL (IPv4) or hop limit (IPv6) of the first packet line given.
ttl_of() { grep -o -m1 -E '(ttl|hlim) [0-9]+' <<<"$1" | head -n1 | awk '{ print $2 }'; }

# --- run --------------------------------------------------------------------------------------
echo "# scenario $SC_NAME: $SC_DESC"
echo "# truth: $("$here/lab.sh" truth "$SC_NAME")"
t0=$(date +%s%N)
"$here/lab.sh" up "$SC_NAME"
echo "# waited $lock_ms ms for the lab lock; up in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
t0=$(date +%s%N)
sc_check
echo "# checks took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
if [ "$failures" -gt 0 ]; then
	echo "# $SC_NAME: $failures check(s) failed"
	exit 1
fi
echo "# $SC_NAME: all checks passed"
