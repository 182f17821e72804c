#!/usr/bin/env bash
# diff_fix.sh NRB [4|6]: the regression check after a repair, in the lab.  path_filter (r2
# silently drops TCP 443) is brought up; the standard runbook runs from the client (before);
# the filter is removed from r2 (its nftables table deleted, as the NOC would); the runbook
# runs again with the same label (after); `nrb diff --format json` must show the fix: fixed,
# the verdict PATH_FIREWALL at hop 2 -> OK, the TCP trace to the port stopping after hop 2
# before and reaching the target after, the SYN and connect results changed, the ICMP
# trace unchanged.  Exit 0 pass, 1 fail, 77 skipped.  Teardown always (trap).
set -euo pipefail
nrb=$(realpath "$1")
fam=${2:-4}
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

if [ "$fam" = 6 ]; then scenario=path_filter-v6 target=$SERVER6 hop2=$R2_L6; else scenario=path_filter target=$SERVER4 hop2=$R2_L4; fi
"$lab" up "$scenario" >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; echo "FAIL: lab up $scenario"; exit 1; }
t0=$(date +%s)
run_standard client "$target" "lab client" "$tmp/before.json"
"$lab" exec-in r2 nft delete table inet nrb_lab
run_standard client "$target" "lab client" "$tmp/after.json"
"$nrb" diff --format json --output "$tmp/diff.json" "$tmp/before.json" "$tmp/after.json"
"$nrb" diff --output "$tmp/diff.md" "$tmp/before.json" "$tmp/after.json"
echo "# runs and diff took $(( $(date +%s) - t0 )) s"

# change WHAT: "BEFORE -> AFTER" of the first change whose figure is WHAT ("-" when none)
change() {
	jget "$tmp/diff.json" 'next((c["before"] + " -> " + c["after"] for c in d["changes"] if c["what"] == sys.argv[3]), "-")' "$1"
}
expect_eq "fixed" "$(jget "$tmp/diff.json" 'd["fixed"]')" true
expect_eq "regressed" "$(jget "$tmp/diff.json" 'd["regressed"]')" false
expect_eq "warnings" "$(jget "$tmp/diff.json" 'len(d["warnings"])')" 0
# shellcheck disable=SC2016  # backquotes are Markdown here
expect_eq "verdict" "$(change verdict)" '`PATH_FIREWALL` at hop 2 (high) -> `OK` (high)'
expect_eq "TCP trace" "$(change "TCP path")" "stops after hop 2 ($hop2) -> reaches the target at hop 4"
expect_eq "half-open SYN" "$(change answer)" "timeout -> syn_ack"
expect_eq "TCP connect" "$(change result)" "timeout -> connected"
expect_eq "ICMP trace unchanged" \
	"$(jget "$tmp/diff.json" 'any(s.endswith("ICMP path reaches the target at hop 4") for s in d["unchanged"])')" true
if grep -q '^\*\*Fixed:\*\* the fault no longer reproduces' "$tmp/diff.md"; then ok "Markdown headline: Fixed"; else bad "Markdown headline: $(sed -n 3p "$tmp/diff.md")"; fi
[ "$failures" = 0 ] || { echo "# $scenario diff: $failures check(s) failed"; exit 1; }
echo "# $scenario diff: all checks passed"
