# shellcheck shell=bash
# The lab's base topology, sourced by lab.sh and check.sh (never run on its own).
#
#   nrb-client --- nrb-r1 --- nrb-r2 --- nrb-r3 --- nrb-server
#      eth0     eth0    eth1  eth0  eth1  eth0  eth1    eth0
#                                         eth2
#                                          |
#                                        eth0
#                                     nrb-client2   (optional: NRB_LAB_CLIENT2=1)
#
# client2 is a second client vantage point whose path goes around r1 and r2 (hop 1 r3,
# hop 2 the server), so a fault placed on r1 or r2 is on the client's path but not on
# client2's.  It exists only when asked for (lab_client2_up), so the base topology, its
# timing and every scenario's truth are unchanged by it.
# Every link is its own subnet; all addresses come from the documentation ranges
# (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).  Interfaces are created
# directly inside the namespaces (`ip -n NS link add ... peer ... netns NS2`), so nothing is
# ever created or changed in the host's own namespace.  The address plan is in README.md.

# NRB_LAB_PREFIX (default nrb-) names the namespaces; a second prefix (nrb2-, nrbci-, ...)
# is a second, independent lab with its own run directory and lock, so that two users (a
# ctest run and a verdict table) need not wait for each other.  Same addresses: namespaces
# do not see each other.
LAB_PREFIX=${NRB_LAB_PREFIX:-nrb-}
if ! [[ $LAB_PREFIX =~ ^nrb[a-z0-9]{0,5}-$ ]]; then
	echo "lab: NRB_LAB_PREFIX must look like nrb-, nrb2-, nrbci- (got '$LAB_PREFIX')" >&2
	exit 2
fi
LAB_NODES=(client r1 r2 r3 server)
LAB_OPT_NODES=(client2)                          # optional nodes: torn down when present
LAB_ROUTERS=(r1 r2 r3)
if [ "$LAB_PREFIX" = nrb- ]; then
	LAB_RUN=/run/nrb-lab LAB_LOCK=/run/nrb-lab.lock
else
	LAB_RUN=/run/nrb-lab.${LAB_PREFIX%-} LAB_LOCK=/run/nrb-lab.${LAB_PREFIX%-}.lock
fi
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_PY=/usr/bin/python3
[ -x "$LAB_PY" ] || LAB_PY=$(command -v python3 || echo python3)

# Addresses, by node and link.
CLIENT4=192.0.2.2       CLIENT6=2001:db8:1::2
R1_C4=192.0.2.1         R1_C6=2001:db8:1::1      # r1 eth0 (client side)
R1_R4=198.51.100.1      R1_R6=2001:db8:12::1     # r1 eth1
R2_L4=198.51.100.2      R2_L6=2001:db8:12::2     # r2 eth0 (r1 side) = hop 2 as seen from the client
R2_R4=198.51.100.5      R2_R6=2001:db8:23::5     # r2 eth1
R3_L4=198.51.100.6      R3_L6=2001:db8:23::6     # r3 eth0 (r2 side) = hop 3
R3_S4=203.0.113.1       R3_S6=2001:db8:3::1      # r3 eth1 (server side)
SERVER4=203.0.113.10    SERVER6=2001:db8:3::10   # hop 4
R3_C4=198.51.100.129    R3_C6=2001:db8:c2::1     # r3 eth2 (client2 side; client2's gateway)
CLIENT2_4=198.51.100.130 CLIENT2_6=2001:db8:c2::2 # client2 eth0 (optional node)
LAB_NAME_OK=server.lab.example                   # resolves to SERVER4 / SERVER6
LAB_NAME_BAD=nosuch.lab.example                  # NXDOMAIN
LAB_TCP_PORTS="80 443 8080"                      # server listeners (8080 always sends 64 KiB)
LAB_UDP_PORT=9999                                # UDP echo service

# ns NODE: the namespace name of a lab node.
ns() { printf '%s%s' "$LAB_PREFIX" "$1"; }

# nsx NODE CMD...: run CMD inside NODE's namespace.
nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

# lab_log MSG...: progress on stderr (quiet unless NRB_LAB_VERBOSE=1).
lab_log() { [ "${NRB_LAB_VERBOSE:-0}" = 1 ] && echo "lab: $*" >&2; return 0; }

# lab_sysctl NODE KEY=VALUE...: set sysctls inside a node's namespace.
lab_sysctl() {
	local n=$1; shift
	nsx "$n" sysctl -q -w "$@" >/dev/null
}

# lab_link A AIF B BIF: one veth pair between two namespaces.
lab_link() {
	ip -n "$(ns "$1")" link add "$2" type veth peer name "$4" netns "$(ns "$3")"
	ip -n "$(ns "$1")" link set "$2" up
	ip -n "$(ns "$3")" link set "$4" up
}

# lab_addr NODE IF ADDR/LEN...: add addresses (IPv6 without duplicate address detection).
lab_addr() {
	local n=$1 ifc=$2 a; shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$(ns "$n")" -6 addr add "$a" dev "$ifc" nodad ;;
		*) ip -n "$(ns "$n")" addr add "$a" dev "$ifc" ;;
		esac
	done
}

# lab_topology_up: namespaces, links, addresses and routes; returns non-zero on any failure.
lab_topology_up() {
	local n
	for n in "${LAB_NODES[@]}"; do
		ip netns add "$(ns "$n")"
		# New links inherit "default": no DAD delay, no router solicitations, no RA.
		lab_sysctl "$n" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.default.router_solicitations=0 \
			net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
		ip -n "$(ns "$n")" link set lo up
	done
	for n in "${LAB_ROUTERS[@]}"; do
		lab_sysctl "$n" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	done

	lab_link client eth0 r1 eth0
	lab_link r1 eth1 r2 eth0
	lab_link r2 eth1 r3 eth0
	lab_link r3 eth1 server eth0

	lab_addr client eth0 "$CLIENT4/24" "$CLIENT6/64"
	lab_addr r1 eth0 "$R1_C4/24" "$R1_C6/64"
	lab_addr r1 eth1 "$R1_R4/30" "$R1_R6/64"
	lab_addr r2 eth0 "$R2_L4/30" "$R2_L6/64"
	lab_addr r2 eth1 "$R2_R4/30" "$R2_R6/64"
	lab_addr r3 eth0 "$R3_L4/30" "$R3_L6/64"
	lab_addr r3 eth1 "$R3_S4/24" "$R3_S6/64"
	lab_addr server eth0 "$SERVER4/24" "$SERVER6/64"

	ip -n "$(ns client)" route add default via "$R1_C4"
	ip -n "$(ns client)" -6 route add default via "$R1_C6"
	ip -n "$(ns r1)" route add default via "$R2_L4"
	ip -n "$(ns r1)" -6 route add default via "$R2_L6"
	ip -n "$(ns r2)" route add 192.0.2.0/24 via "$R1_R4"
	ip -n "$(ns r2)" -6 route add 2001:db8:1::/64 via "$R1_R6"
	ip -n "$(ns r2)" route add 203.0.113.0/24 via "$R3_L4"
	ip -n "$(ns r2)" -6 route add 2001:db8:3::/64 via "$R3_L6"
	ip -n "$(ns r3)" route add default via "$R2_R4"
	ip -n "$(ns r3)" -6 route add default via "$R2_R6"
	ip -n "$(ns server)" route add default via "$R3_S4"
	ip -n "$(ns server)" -6 route add default via "$R3_S6"
}

# lab_client2_up: the optional second client, attached to r3 on its own link
# (198.51.100.128/25, 2001:db8:c2::/64), with a resolver of its own on r3 (like the client's
# on r1).  Routes change in client2 only: r3 reaches the link directly, and the server's
# default route already points at r3, so replies to client2 never cross r2 or r1.  Call
# after lab_topology_up and lab_services_up; lab_teardown removes it.
lab_client2_up() {
	ip netns add "$(ns client2)"
	lab_sysctl client2 net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.router_solicitations=0 \
		net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	ip -n "$(ns client2)" link set lo up
	lab_link r3 eth2 client2 eth0
	lab_addr r3 eth2 "$R3_C4/25" "$R3_C6/64"
	lab_addr client2 eth0 "$CLIENT2_4/25" "$CLIENT2_6/64"
	ip -n "$(ns client2)" route add default via "$R3_C4"
	ip -n "$(ns client2)" -6 route add default via "$R3_C6"
	lab_resolver dnsmasq-client2 r3 "$R3_C4" "$R3_C6" client2
	lab_wait_resolver dnsmasq-client2
	: >"$LAB_RUN/client2"
}

# lab_start NAME NODE CMD...: start CMD in the background inside NODE's namespace, output to
# $LAB_RUN/NAME.log, PID to $LAB_RUN/pids/NAME.pid (`ip netns exec` execs, so the PID is CMD's).
lab_start() {
	local name=$1 node=$2; shift 2
	ip netns exec "$(ns "$node")" "$@" </dev/null >"$LAB_RUN/$name.log" 2>&1 9>&- &
	echo $! >"$LAB_RUN/pids/$name.pid"
}

# lab_wait_file FILE SECONDS: wait (bounded) until FILE exists.
lab_wait_file() {
	local f=$1 i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -e "$f" ] && return 0
		sleep 0.05
	done
	return 1
}

# lab_services_up: listeners on the server and the lab's DNS resolver on r1.
lab_services_up() {
	# dnsmasq's configuration is an empty file of our own rather than /dev/null: on a host
	# where /dev/null has been replaced by a regular file (seen on the shared dev VM) it
	# may hold text, and dnsmasq then refuses to start ("bad option at line 1").
	: >"$LAB_RUN/dnsmasq.conf"
	lab_start server server "$LAB_PY" "$LAB_DIR/server.py" \
		--tcp "${SC_TCP_PORTS-$LAB_TCP_PORTS}" --udp "$LAB_UDP_PORT" --ready "$LAB_RUN/server.ready"
	# The resolver lives on the client's gateway (like a home or branch router), so the
	# client still resolves names when its route beyond r1 is broken.
	lab_resolver dnsmasq r1 "$R1_C4" "$R1_C6" client
	lab_wait_file "$LAB_RUN/server.ready" 10 || { echo "lab: server.py did not start" >&2; return 1; }
	lab_wait_resolver dnsmasq
}

# lab_resolver NAME NODE ADDR4 ADDR6 CLIENT: start dnsmasq (process NAME) in NODE, listening
# on ADDR4/ADDR6, answering the lab's names, and make it CLIENT's resolver.
lab_resolver() {
	local name=$1 node=$2 a4=$3 a6=$4 client=$5
	lab_start "$name" "$node" dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
		--conf-file="$LAB_RUN/dnsmasq.conf" --user=root --pid-file="$LAB_RUN/$name.pidfile" \
		--listen-address="$a4" --listen-address="$a6" --bind-interfaces \
		--host-record="$LAB_NAME_OK,$SERVER4,$SERVER6" --local=/lab.example/ \
		--log-queries --log-facility="$LAB_RUN/$name.query.log"
	mkdir -p "/etc/netns/$(ns "$client")"
	printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$a4" >"/etc/netns/$(ns "$client")/resolv.conf"
}

# lab_wait_resolver NAME: wait for lab_resolver's dnsmasq NAME to be up (its log if not).
lab_wait_resolver() {
	lab_wait_file "$LAB_RUN/$1.pidfile" 10 ||
		{ echo "lab: $1 did not start:" >&2; cat "$LAB_RUN/$1.log" >&2; return 1; }
}

# lab_check_gone: after `lab.sh down`, fail (return 1, saying which) if any of the lab's
# namespaces is still there.
lab_check_gone() {
	local n left=''
	for n in "${LAB_NODES[@]}" "${LAB_OPT_NODES[@]}"; do
		ip netns list | grep -q "^$(ns "$n")\( \|$\)" && left+=" $(ns "$n")"
	done
	[ -z "$left" ] && return 0
	echo "FAIL: namespaces left behind:$left"
	return 1
}

# lab_kill_pid PID EXPECT: stop one process we started, if it is still the one we started
# (its command line contains EXPECT).  SIGTERM, then SIGKILL after 2 s.
lab_kill_pid() {
	local pid=$1 want=$2 i
	[ -r "/proc/$pid/cmdline" ] || return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$want" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 40; i++)); do
		[ -e "/proc/$pid" ] || return 0
		# A zombie has exited (sockets closed); only its parent's reaping is left, and
		# the helpers' parent is PID 1, which may reap late (seconds, in containers).
		[ "$(sed 's/.*) //; s/ .*//' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# lab_teardown: stop what we started, delete our namespaces (client2 too, when it is up) and
# the clients' resolv.conf.
# Safe to call when nothing is up.
lab_teardown() {
	local f pid name n
	if [ -d "$LAB_RUN/pids" ]; then
		for f in "$LAB_RUN"/pids/*.pid; do
			[ -e "$f" ] || continue
			name=$(basename "$f" .pid)
			pid=$(cat "$f" 2>/dev/null || true)
			case $name in
			dnsmasq|dnsmasq-client2) lab_kill_pid "$pid" dnsmasq ;;
			*) lab_kill_pid "$pid" "$LAB_DIR/" ;;
			esac
			rm -f "$f"
		done
	fi
	for n in "${LAB_NODES[@]}" "${LAB_OPT_NODES[@]}"; do
		ip netns list 2>/dev/null | grep -qx "$(ns "$n")\( (id: [0-9]*)\)\?" || continue
		# Anything still running inside one of our namespaces was started by the lab
		# (a test's probe, a helper of a scenario): stop it by PID.
		for pid in $(ip netns pids "$(ns "$n")" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$(ns "$n")" 2>/dev/null || true
	done
	rm -rf "/etc/netns/$(ns client)" "/etc/netns/$(ns client2)"
	rm -rf "$LAB_RUN"
}

# scenario_load NAME: source the scenario file; sets FAM (4|6), SRV (the server's address in
# that family) and the SC_* variables a scenario file may set:
#   SC_DESC one line; SC_CLASS SC_HOP SC_PROTO SC_PORT SC_TARGET SC_NOTE: the truth (SC_TARGET
#   defaults to SRV); SC_DEVICE the lab node at fault; SC_ACCEPT other classes a diagnosis may
#   fairly give; SC_V6=0 when there is no IPv6 variant; SC_TCP_PORTS the server's TCP
#   listeners when not the default; sc_apply() applies the fault (both families) after the
#   base topology is up; sc_check() asserts its behaviour (check.sh helpers, FAM/SRV set).
scenario_load() {
	local name=$1 base=$1
	FAM=4
	case $name in *-v6) base=${name%-v6}; FAM=6 ;; esac
	case $base in *[!a-z0-9_]*|'') echo "lab: bad scenario name '$name'" >&2; return 1 ;; esac
	[ -f "$LAB_DIR/scenarios/$base.sh" ] || { echo "lab: no scenario '$name' (see lab.sh list)" >&2; return 1; }
	SC_NAME=$name SC_DESC='' SC_CLASS='' SC_HOP=null SC_PROTO=tcp SC_PORT=443 SC_DEVICE=''
	SC_NOTE='' SC_V6=1 SC_TARGET='' SC_ACCEPT=''
	unset SC_TCP_PORTS
	unset -f sc_apply sc_check
	# shellcheck source=/dev/null
	. "$LAB_DIR/scenarios/$base.sh"
	if [ "$FAM" = 6 ] && [ "$SC_V6" != 1 ]; then
		echo "lab: scenario '$base' has no IPv6 variant" >&2
		return 1
	fi
	if [ "$FAM" = 6 ]; then SRV=$SERVER6; else SRV=$SERVER4; fi
	[ -n "$SC_TARGET" ] || SC_TARGET=$SRV
	declare -F sc_apply >/dev/null || sc_apply() { :; }
}

# lab_nft NODE: load the nftables ruleset on stdin into NODE's namespace.
lab_nft() { nsx "$1" nft -f -; }
