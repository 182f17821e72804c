# shellcheck shell=bash
# Shared by the tests in tests/vantage (sourced, never run): skip checks, the lab lock held
# for the whole test, a temporary directory and teardown on exit, and one helper to run the
# standard runbook from a lab node.  The caller sets nrb (absolute path) before sourcing.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lab=$here/../lab/lab.sh

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "lab tests need root (network namespaces)"
ip netns list >/dev/null 2>&1 || skip "'ip netns' does not work here"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"

# The lab's namespace names are fixed per NRB_LAB_PREFIX: hold that lab's lock throughout.
# shellcheck source=../lab/topology.sh
. "$here/../lab/topology.sh"
exec 9>"$LAB_LOCK"
flock -w 300 9 || { echo "FAIL: lab lock $LAB_LOCK held by another user for 300 s"; exit 1; }
export NRB_LAB_LOCKED=1

tmp=$(mktemp -d /tmp/nrb-vantage.XXXXXX)
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	"$lab" down >/dev/null 2>&1 || rc=1
	lab_check_gone || rc=1
	rm -rf "$tmp"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_standard NODE TARGET LABEL OUT.json: the standard runbook on tcp/443 from NODE (3 mtr
# rounds to keep it short; the capture's pcap kept out of the cwd); exit status of nrb.
# shellcheck disable=SC2154  # nrb: set by the sourcing script
run_standard() {
	local node=$1 target=$2 label=$3 out=$4
	"$lab" exec-in "$node" timeout 120 "$nrb" run standard -q --target "$target" --port 443 \
		--param rounds=3 --param pcap="$tmp/$node.pcap" --label "$label" \
		--format json --output "$out" 2>"$out.err" || { cat "$out.err"; return 1; }
}

failures=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; failures=$((failures + 1)); }
# expect_eq WHAT GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: got '$2', want '$3'"; fi; }

# jget FILE EXPR [ARG...]: a Python expression over the JSON document `d` in FILE (the
# extra ARGs are sys.argv[3:]); None prints null, booleans true/false.
jget() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); v = eval(sys.argv[2]); print("null" if v is None else (str(v).lower() if isinstance(v, bool) else v))' "$@"; }
