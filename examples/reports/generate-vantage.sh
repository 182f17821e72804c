#!/usr/bin/env bash
# Regenerate the merge and diff examples from the fault lab (needs root; the lab is torn
# down afterwards).  usage: examples/reports/generate-vantage.sh [NRB]
#
# vantage/merged.md (.json): `nrb merge` of two clients on path_filter (r2 drops TCP 443):
#   client.json from the lab's client (its path crosses r2) and client2.json from the
#   optional second client on r3 (its path goes around r2) -> PATH_FIREWALL, path-specific.
# vantage/diff.md (.json): `nrb diff` of before.json (path_filter) and after.json (the same
#   client once r2's filter is deleted, as the NOC would) -> fixed.
# The same runs as tests/vantage, with the runbook's default rounds.  Set NRB_LAB_PREFIX to
# use a lab of its own beside another user's.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
nrb=$(realpath "${1:-$top/build/nrb}")
out=$top/examples/reports/vantage
lab=$top/tests/lab/lab.sh
mkdir -p "$out"
# The file names in the tickets are the ones given on the command line: run in $out.
cd "$out"

# standard NODE LABEL NAME: the standard runbook on 203.0.113.10 tcp/443 from NODE; the
# report is NAME.json and the capture it takes around the port probes NAME.pcap (kept: the
# evidence the ticket refers to).
standard() {
  "$lab" exec-in "$1" "$nrb" run standard -q --target 203.0.113.10 --port 443 \
    --param pcap="$3.pcap" --label "$2" --format json --output "$3.json"
}

echo "== merge: path_filter from client (through r2) and client2 (around r2)" >&2
# shellcheck disable=SC2016  # expanded by the bash -c below
"$lab" run --with-client2 path_filter bash -c "$(declare -f standard); "'
  set -e; lab=$1 nrb=$2
  standard client "site A (through r2)" client
  standard client2 "site B (around r2)" client2' _ "$lab" "$nrb"
"$nrb" merge --output merged.md client.json client2.json
"$nrb" merge --format json --output merged.json client.json client2.json

echo "== diff: path_filter before and after the filter on r2 is removed" >&2
# shellcheck disable=SC2016
"$lab" run path_filter bash -c "$(declare -f standard); "'
  set -e; lab=$1 nrb=$2
  standard client "site A (through r2)" before
  "$lab" exec-in r2 nft delete table inet nrb_lab
  standard client "site A (through r2)" after' _ "$lab" "$nrb"
"$nrb" diff --output diff.md before.json after.json
"$nrb" diff --format json --output diff.json before.json after.json
echo "wrote $(find . -type f | wc -l) files to $out" >&2
