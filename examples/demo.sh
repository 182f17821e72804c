#!/usr/bin/env bash
# The README's first command: install what nrb needs, build it, and run the main job on
# an embedded default, printing the Markdown ticket on stdout.
#
# Default scenario (until the fault lab lands, see issue 3): a web server on loopback
# with its service port down.  This script starts its own listener on 127.0.0.1 (the
# "comparison" port), picks a free port nobody listens on as the "service" port, and
# runs examples/tcp-check.yaml against them.  Traffic never leaves 127.0.0.1.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

tests/install-deps.sh >&2
cmake -S . -B build >/dev/null
cmake --build build --target nrb -j "$(nproc 2>/dev/null || echo 2)" >&2

tmp=$(mktemp -d /tmp/nrb-demo-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

python3 - "$tmp/port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(1.0)
end = time.time() + 120               # bounded: the demo's listener never outlives it
while time.time() < end:
    try:
        c, _ = s.accept(); c.close()
    except socket.timeout:
        pass
PY
pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
up=$(cat "$tmp/port")
down=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

echo "demo: port $up answers on 127.0.0.1, port $down has no listener; asking nrb why port $down fails" >&2
./build/nrb run examples/tcp-check.yaml --target 127.0.0.1 --port "$down" \
  --param compare_port="$up" --label "demo (loopback)" --json "$tmp/report.json"
