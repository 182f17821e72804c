#!/usr/bin/env bash
# The netrunbook fault lab: five network namespaces (client, three routers, server) with one
# known fault at a time.  Needs root.  See tests/lab/README.md for the topology, the address
# plan and what each scenario does.
#
#   lab.sh list                  scenarios, one a line: NAME  description
#   lab.sh up SCENARIO [--with-client2]   build the topology, start the listeners, apply
#                                the fault (--with-client2: also the second client, on r3)
#   lab.sh down                  stop everything the lab started, delete its namespaces
#   lab.sh status                the scenario that is up, if any
#   lab.sh truth SCENARIO        the expected verdict as JSON (DESIGN.md vocabulary)
#   lab.sh exec CMD...           run CMD inside the client namespace (nrb-client)
#   lab.sh exec-in NODE CMD...   run CMD inside NODE (client, r1, r2, r3, server, client2)
#   lab.sh run [--with-client2] SCENARIO CMD...   up, run CMD (in the host namespace; use
#                                `lab.sh exec` in it), down; the lab lock is held
#                                throughout; CMD's status
#
# NRB_LAB_CLIENT2=1 in the environment is the same as --with-client2.
# A scenario NAME-v6 is the IPv6 variant of NAME: the same fault (faults are applied to both
# families), probed at the server's IPv6 address.  `up` tears down leftovers first; a
# failed `up` tears down what it built.  Everything is bounded in time.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=topology.sh
. "$here/topology.sh"

usage() {
	sed -n '5,17p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# lab_lock: serialise lab users (ctest, people, other worktrees).  check.sh takes the lock
# for a whole test and sets NRB_LAB_LOCKED=1 so the lab.sh it calls does not wait on itself.
lab_lock() {
	[ "${NRB_LAB_LOCKED:-0}" = 1 ] && return 0
	exec 9>"$LAB_LOCK"
	flock -w 120 9 || { echo "lab: another lab user holds $LAB_LOCK" >&2; exit 1; }
}

# scenario_names: every scenario name, IPv6 variants included.
scenario_names() {
	local f name
	for f in "$here"/scenarios/*.sh; do
		name=$(basename "$f" .sh)
		echo "$name"
		if (scenario_load "$name" && [ "$SC_V6" = 1 ]) 2>/dev/null; then
			echo "$name-v6"
		fi
	done
}


json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

cmd_truth() {
	scenario_load "$1"
	local fam=ipv4 port=$SC_PORT accept='' a
	[ "$FAM" = 6 ] && fam=ipv6
	[ -n "$port" ] || port=null
	for a in $SC_ACCEPT; do accept+="${accept:+,}$(json_str "$a")"; done
	printf '{"scenario":%s,"class":%s,"hop":%s,"proto":%s,"port":%s,"family":%s,"target":%s,"device":%s,"accept":[%s],"note":%s}\n' \
		"$(json_str "$SC_NAME")" "$(json_str "$SC_CLASS")" "$SC_HOP" "$(json_str "$SC_PROTO")" \
		"$port" "$(json_str "$fam")" "$(json_str "$SC_TARGET")" \
		"$( [ -n "$SC_DEVICE" ] && json_str "$SC_DEVICE" || echo null)" "$accept" \
		"$(json_str "$SC_NOTE")"
}

cmd_list() {
	local name
	for name in $(scenario_names); do
		scenario_load "$name"
		printf '%-24s %s\n' "$name" "$SC_DESC"
	done
}

cmd_up() {
	scenario_load "$1"
	lab_lock
	local t0=$SECONDS
	lab_teardown
	trap 'rc=$?; if [ $rc -ne 0 ]; then echo "lab: up $SC_NAME failed, tearing down" >&2; lab_teardown; fi' EXIT
	trap 'exit 130' INT TERM
	mkdir -p "$LAB_RUN/pids"
	lab_topology_up
	lab_services_up
	if [ "${NRB_LAB_CLIENT2:-0}" = 1 ]; then lab_client2_up; fi
	sc_apply
	echo "$SC_NAME" >"$LAB_RUN/scenario"
	trap - EXIT INT TERM
	lab_log "up $SC_NAME in $((SECONDS - t0)) s"
}

# cmd_run SCENARIO CMD...: a whole session under the lab lock, so that no other lab user
# (ctest, tests/verdicts, a person) tears the lab down while CMD uses it.
cmd_run() {
	local name=$1 rc=0; shift
	scenario_load "$name"
	lab_lock
	export NRB_LAB_LOCKED=1
	trap 'lab_teardown' EXIT
	trap 'exit 130' INT TERM
	"$0" up "$name"
	"$@" 9>&- || rc=$?
	return $rc
}

cmd_down() {
	lab_lock
	lab_teardown
}

cmd_status() {
	if [ -f "$LAB_RUN/scenario" ]; then
		if [ -e "$LAB_RUN/client2" ]; then
			echo "$(cat "$LAB_RUN/scenario") (with client2)"
		else
			cat "$LAB_RUN/scenario"
		fi
	else
		echo "down"
	fi
}

need_root() {
	[ "$(id -u)" = 0 ] || { echo "lab: needs root (network namespaces)" >&2; exit 3; }
}

[ $# -ge 1 ] || usage
cmd=$1; shift
case $cmd in
list) cmd_list ;;
truth) [ $# = 1 ] || usage; cmd_truth "$1" ;;
up)
	case $# in
	1) ;;
	2) [ "$2" = --with-client2 ] || usage; export NRB_LAB_CLIENT2=1 ;;
	*) usage ;;
	esac
	need_root; cmd_up "$1" ;;
down) [ $# = 0 ] || usage; need_root; cmd_down ;;
status) cmd_status ;;
run)
	if [ "${1:-}" = --with-client2 ]; then export NRB_LAB_CLIENT2=1; shift; fi
	[ $# -ge 2 ] || usage; need_root; cmd_run "$@" ;;
exec) [ $# -ge 1 ] || usage; need_root; exec ip netns exec "$(ns client)" "$@" ;;
exec-in)
	[ $# -ge 2 ] || usage; need_root
	node=$1; shift
	case " ${LAB_NODES[*]} ${LAB_OPT_NODES[*]} " in *" $node "*) ;; *) echo "lab: no node '$node'" >&2; exit 2 ;; esac
	ip netns list 2>/dev/null | grep -q "^$(ns "$node")\( \|$\)" ||
		{ echo "lab: $(ns "$node") is not up${LAB_OPT_NODES[*]:+ (client2 needs up --with-client2)}" >&2; exit 1; }
	exec ip netns exec "$(ns "$node")" "$@" ;;
*) usage ;;
esac
