#!/usr/bin/env bash
# Capture-analysis benchmark: time and peak RSS of the analysis of a ~100 MB capture
# against `tshark -q -z conv,tcp` on the same file, and the ratio.
#   capture_bench.sh [BUILD_DIR] [SIZE_MB] [PCAP]
# BUILD_DIR defaults to ./build (needs tests/fuzzcap/capture_analyze built there); PCAP,
# when given, is analysed instead of a synthesised file (tests/bench/capture_gen.py,
# documentation addresses, written to a temporary directory and removed afterwards).
# Needs /usr/bin/time; tshark is optional (apt package tshark): without it only our
# figures are printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
mb=${2:-100}
drv=$build/tests/fuzzcap/capture_analyze
[ -x "$drv" ] || { echo "capture_bench: $drv not built" >&2; exit 2; }
tmp=$(mktemp -d /tmp/nrb-capbench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [ -n "${3:-}" ]; then
	pcap=$3
else
	pcap=$tmp/bench.pcap
	python3 "$here/capture_gen.py" "$pcap" "$mb"
fi
cat "$pcap" >/dev/null # both tools read from the page cache

measure() { # NAME CMD... -> "seconds kbytes" on fd 3, output in $tmp/NAME.out
	local name=$1; shift
	/usr/bin/time -f "%e %M" -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || {
		echo "capture_bench: $name failed: $(tail -3 "$tmp/$name.err")" >&2; exit 1; }
	cat "$tmp/$name.time"
}
read -r ns nk < <(CAPTURE_QUIET=1 measure nrb "$drv" "$pcap")
nconn=$(sed -n 's/^conns=\([0-9]*\).*/\1/p' "$tmp/nrb.out")
npkt=$(sed -n 's/^packets=\([0-9]*\).*/\1/p' "$tmp/nrb.out")
printf 'file: %s (%s bytes, %s packets)\n' "$pcap" "$(stat -c %s "$pcap")" "$npkt"
printf '%-28s %9s %12s %12s\n' tool seconds peak_rss_kB tcp_flows
printf '%-28s %9s %12s %12s\n' "nrb capture analysis" "$ns" "$nk" "$nconn"
if command -v tshark >/dev/null; then
	read -r ts tk < <(measure tshark tshark -q -z conv,tcp -r "$pcap")
	tconv=$(grep -cE '<->' "$tmp/tshark.out" || true)
	printf '%-28s %9s %12s %12s\n' "tshark -q -z conv,tcp" "$ts" "$tk" "$tconv"
	awk -v a="$ns" -v b="$ts" -v c="$nk" -v d="$tk" 'BEGIN {
		if (a < 0.01) a = 0.01
		printf "ratio: tshark/nrb time %.1fx, memory %.1fx\n", b / a, d / c }'
else
	echo "tshark not installed: no comparison (apt-get install tshark)"
fi
