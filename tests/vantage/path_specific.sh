#!/usr/bin/env bash
# path_specific.sh NRB [4|6]: two client vantage points whose paths differ, merged.
# The lab's path_filter scenario (r2 silently drops TCP 443) with the optional client2 on
# r3: the client's path crosses r2 (hop 2), client2's goes around it.  The standard runbook
# runs from both, `nrb merge --format json` combines them, and the merged verdict must be
# PATH_FIREWALL at hop 2, marked path_specific, with a reason naming both vantage points.
# Exit 0 pass, 1 fail, 77 skipped (not root / no netns).  Teardown always (trap).
set -euo pipefail
nrb=$(realpath "$1")
fam=${2:-4}
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

if [ "$fam" = 6 ]; then scenario=path_filter-v6 target=$SERVER6 hop2=$R2_L6; else scenario=path_filter target=$SERVER4 hop2=$R2_L4; fi
c1="client via r2" c2="client2 around r2"
"$lab" up "$scenario" --with-client2 >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; echo "FAIL: lab up $scenario --with-client2"; exit 1; }
t0=$(date +%s)
run_standard client "$target" "$c1" "$tmp/client.json"
run_standard client2 "$target" "$c2" "$tmp/client2.json"
"$nrb" merge --format json --output "$tmp/merged.json" "$tmp/client.json" "$tmp/client2.json"
echo "# runs and merge took $(( $(date +%s) - t0 )) s"

expect_eq "client's verdict" "$(jget "$tmp/client.json" 'd["verdict"]["class"]')" PATH_FIREWALL
expect_eq "client's hop" "$(jget "$tmp/client.json" 'd["verdict"].get("hop")')" 2
expect_eq "client2's verdict" "$(jget "$tmp/client2.json" 'd["verdict"]["class"]')" OK
# client2's own TCP trace to 443 reaches the server at hop 2 (r3, then the server): r2 is
# not on its path, which is what makes the fault path-specific.
expect_eq "client2's TCP trace reaches the target at hop" \
	"$(jget "$tmp/client2.json" '[s for s in d["steps"] if s["id"] == "traces"][0]["evidence"]["tcp"].get("reached_ttl")')" 2
# on_path FILE ADDR: does any hop of the report's ICMP/UDP/TCP traces answer from ADDR?
on_path() {
	jget "$1" 'any(sys.argv[3] in (h.get("addresses") or []) for s in d["steps"] if s["id"] == "traces" for p in ("icmp", "udp", "tcp") for h in s["evidence"][p].get("hops") or [])' "$2"
}
expect_eq "r2 ($hop2) on the client's path" "$(on_path "$tmp/client.json" "$hop2")" true
expect_eq "r2 ($hop2) on client2's path" "$(on_path "$tmp/client2.json" "$hop2")" false
expect_eq "merged verdict" "$(jget "$tmp/merged.json" 'd["verdict"]["class"]')" PATH_FIREWALL
expect_eq "merged hop" "$(jget "$tmp/merged.json" 'd["verdict"].get("hop")')" 2
expect_eq "merged address" "$(jget "$tmp/merged.json" 'd["verdict"].get("address")')" "$hop2"
expect_eq "merged path_specific" "$(jget "$tmp/merged.json" 'd["verdict"].get("path_specific")')" true
expect_eq "a reason names both vantage points" \
	"$(jget "$tmp/merged.json" 'any("path-specific" in r and "client via r2" in r and "client2 around r2" in r for r in d["verdict"]["reasons"])')" true
expect_eq "a reason says r2 is not on client2's path" \
	"$(jget "$tmp/merged.json" 'any((sys.argv[3] + " (hop 2) is not on the path from client2 around r2") in r for r in d["verdict"]["reasons"])' "$hop2")" true
expect_eq "merged confidence" "$(jget "$tmp/merged.json" 'd["verdict"]["confidence"]')" high
expect_eq "vantage points in the merge" "$(jget "$tmp/merged.json" '" | ".join(v["label"] + "=" + v["class"] for v in d["vantages"])')" \
	"$c1=PATH_FIREWALL | $c2=OK"
python3 -c 'import json,sys; [print("  reason:", r) for r in json.load(open(sys.argv[1]))["verdict"]["reasons"]]' "$tmp/merged.json"
[ "$failures" = 0 ] || { echo "# $scenario path-specific: $failures check(s) failed"; exit 1; }
echo "# $scenario path-specific: all checks passed"
