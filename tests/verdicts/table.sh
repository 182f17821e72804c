#!/usr/bin/env bash
# table.sh NRB [SCENARIO...]: run the standard runbook on every lab scenario (or those
# named) and print the results as a Markdown table for doc/verdicts.md.
set -uo pipefail
nrb=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || mapfile -t scenarios < <("$here/../lab/lab.sh" list | awk '{print $1}')
echo "| Scenario | Truth | Verdict | Hop | Confidence | Wall time (s) | Result |"
echo "|---|---|---|---|---|---|---|"
for s in "${scenarios[@]}"; do
  truth=$("$here/../lab/lab.sh" truth "$s" | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["class"] + ("" if t["hop"] is None else " @%d" % t["hop"]))')
  line=$("$here/run.sh" "$nrb" "$s" 2>/dev/null | grep '^RESULT' | tail -1)
  read -r _ name cls hop conf secs res <<<"$line"
  echo "| $s | $truth | ${cls:--} | ${hop:--} | ${conf:--} | ${secs:--} | ${res:-error} |"
done
