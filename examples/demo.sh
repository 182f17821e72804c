#!/usr/bin/env bash
# The README's first command: install what nrb needs, build it, and run the main job on an
# embedded default, printing the Markdown ticket on stdout.
#
# Default: the fault lab (tests/lab, network namespaces with documentation addresses) with
# its `path_filter` scenario — a router two hops away silently drops TCP 443 while ICMP and
# TCP 80 pass — and `nrb run standard` from the lab's client namespace, the way an operator
# runs it on a host in the problem area.  Another scenario: NRB_DEMO_SCENARIO=name (see
# `tests/lab/lab.sh list`).  Without root or network namespaces it falls back to a loopback
# demo (a port with no listener next to one that answers).  The lab is torn down on exit.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

tests/install-deps.sh >&2
cmake -S . -B build >/dev/null
cmake --build build --target nrb -j "$(nproc 2>/dev/null || echo 2)" >&2

scenario=${NRB_DEMO_SCENARIO:-path_filter}
if [ "$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1; then
  trap 'tests/lab/lab.sh down >/dev/null 2>&1 || true' EXIT
  trap 'exit 130' INT TERM
  tests/lab/lab.sh up "$scenario" >&2
  truth=$(tests/lab/lab.sh truth "$scenario")
  read -r target port < <(python3 -c 'import json,sys; t=json.loads(sys.argv[1]); print(t["target"], t["port"] or 443)' "$truth")
  echo "demo: lab scenario '$scenario' is up ($(tests/lab/lab.sh list | awk -v s="$scenario" '$1 == s { $1 = ""; print substr($0, 2) }'))" >&2
  echo "demo: running 'nrb run standard --target $target --port $port' in the lab's client namespace" >&2
  tests/lab/lab.sh exec ./build/nrb run standard --target "$target" --port "$port" \
    --label "lab client ($scenario)"
  exit $?
fi

echo "demo: no root or no network namespaces here; running the loopback demo instead" >&2
tmp=$(mktemp -d /tmp/nrb-demo-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
python3 tests/listener.py "$tmp/port" 120 &
pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
up=$(cat "$tmp/port")
down=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "demo: port $up answers on 127.0.0.1, port $down has no listener; asking nrb why port $down fails" >&2
./build/nrb run standard --target 127.0.0.1 --port "$down" --param compare_port="$up" --label "demo (loopback)"
