#!/usr/bin/env bash
# bounded.sh SECONDS CMD [ARG...]: run a lab test under timeout(1), which sends SIGTERM
# after SECONDS and SIGKILL 10 s later.  ctest's own TIMEOUT (set 20 s longer) kills the
# test with no signal a shell can trap, which would leave the lab's namespaces behind;
# SIGTERM runs the test's trap, which tears the lab down.
set -u
[ $# -ge 2 ] || { echo "usage: bounded.sh SECONDS CMD [ARG...]" >&2; exit 2; }
secs=$1
shift
exec timeout -s TERM -k 10 "$secs" "$@"
