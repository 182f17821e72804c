#!/usr/bin/env bash
# Regenerate the example reports of the example runbooks (loopback only):
# a port that answers (OK) and a port nobody listens on (SERVICE_DOWN), YAML and Lua.
# Traffic: only to a listener of its own on 127.0.0.1 and a closed port there.
# usage: examples/reports/generate.sh [NRB [OUTDIR]]   (default: build/nrb, this folder;
# tests/cli compares a run into a temporary OUTDIR with the committed files)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
nrb=$(realpath "${1:-$top/build/nrb}")
out=$(realpath "${2:-$top/examples/reports}")
tmp=$(mktemp -d /tmp/nrb-ex-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
python3 "$top/tests/listener.py" "$tmp/port" 60 &
pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
up=$(cat "$tmp/port")
down=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cd "$top"
"$nrb" run examples/tcp-check.yaml -q --target 127.0.0.1 --port "$up" --param compare_port="$down" \
  --label "example (loopback)" --output "$out/tcp-check-ok.md" --json "$out/tcp-check-ok.json"
"$nrb" run examples/tcp-check.yaml -q --target 127.0.0.1 --port "$down" --param compare_port="$up" \
  --label "example (loopback)" --output "$out/tcp-check-service-down.md" --json "$out/tcp-check-service-down.json"
"$nrb" run examples/tcp-check.yaml -q --lang zh --target 127.0.0.1 --port "$down" --param compare_port="$up" \
  --label "示例（环回）" --output "$out/tcp-check-service-down.zh.md"
"$nrb" run examples/tcp-check-lua.lua -q --target 127.0.0.1 --port "$down" --param compare_port="$up" \
  --label "example (loopback)" --output "$out/tcp-check-lua-service-down.md" --json "$out/tcp-check-lua-service-down.json"
echo "wrote 7 reports to $out"
