#!/usr/bin/env bash
# Regenerate the example tickets from the fault lab: one per verdict class, each made by
# `nrb run standard` in the lab's client namespace (needs root; the lab is torn down after
# each scenario).  usage: examples/reports/generate-lab.sh [NRB]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
nrb=$(realpath "${1:-$top/build/nrb}")
out=$top/examples/reports/lab
lab=$top/tests/lab/lab.sh
mkdir -p "$out"
# class -> scenario that shows it
pairs=(
  OK:healthy DNS_FAILURE:dns_nxdomain LOCAL_ROUTE:client_no_route LOCAL_FIREWALL:client_fw_nft
  ROUTING:blackhole PATH_FIREWALL:path_filter FORGED_RST:forged_rst SERVER_FIREWALL:server_reject
  SERVICE_DOWN:service_down PMTU_BLACKHOLE:pmtu_blackhole ICMP_FILTERED:icmp_blocked_server
)
for pair in "${pairs[@]}"; do
  class=${pair%%:*} scenario=${pair#*:}
  truth=$("$lab" truth "$scenario")
  read -r target port < <(python3 -c 'import json,sys; t=json.loads(sys.argv[1]); print(t["target"], t["port"] or 443)' "$truth")
  name=$(echo "$class" | tr 'A-Z_' 'a-z-')
  echo "== $class ($scenario)" >&2
  # the capture around the port probes goes next to the ticket that names it
  "$lab" run "$scenario" "$lab" exec "$nrb" run standard -q --target "$target" --port "$port" \
    --label "lab client ($scenario)" --param pcap="$out/$name.pcap" \
    --output "$out/$name.md" --json "$out/$name.json"
  if [ "$class" = PATH_FIREWALL ]; then
    "$lab" run "$scenario" "$lab" exec "$nrb" run standard -q --lang zh --target "$target" --port "$port" \
      --label "实验室客户端（$scenario）" --param pcap="$out/$name.zh.pcap" --output "$out/$name.zh.md"
  fi
done
echo "wrote $(ls "$out" | wc -l) files to $out" >&2
