#!/usr/bin/env bash
# Lab test of the fw engine: load real rules into a network namespace created here, send
# one probe per flow across a veth pair from a second namespace (192.0.2.1 -> 192.0.2.2
# and 2001:db8:1::1 -> ::2, documentation ranges), and check with fwlab_probe that nrb's
# answer is the kernel's and that the rule whose counter rose is the rule nrb named.
# Variants: iptables (nft backend), nftables, iptables-legacy (x_tables, read from
# outside the namespace as `nrb probe fw --netns` does).  Cases cover IPv4 and IPv6, more
# than one table on a hook (raw/mangle priority before filter, notrack), rules that only
# log or `continue`, rate limits (uncertain; the assumed answer checked against the
# kernel), non-contiguous netmasks and `tcp flags syn`.
# Nothing outside the two namespaces is touched; both are deleted on exit.  Namespace
# names start with $NRBFW_LAB_PREFIX (default nrbfw-lab), then -s-PID / -c-PID.
# Exit 77 (skip) when not root.
set -uo pipefail
probe=${1:?usage: fwlab.sh PATH/TO/fwlab_probe}
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the fw lab needs root (network namespaces)"; exit 77; fi
for t in ip nft iptables-restore; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
prefix=${NRBFW_LAB_PREFIX:-nrbfw-lab}
s=$prefix-s-$$
c=$prefix-c-$$
cleanup() { ip netns del "$s" 2>/dev/null; ip netns del "$c" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$s" || { echo "SKIP: cannot create a network namespace"; exit 77; }
ip netns add "$c" || exit 1
ip link add veth-c netns "$c" type veth peer name veth-s netns "$s" || exit 1
ip -n "$c" addr add 192.0.2.1/24 dev veth-c
ip -n "$s" addr add 192.0.2.2/24 dev veth-s
ip -n "$c" addr add 2001:db8:1::1/64 dev veth-c nodad
ip -n "$s" addr add 2001:db8:1::2/64 dev veth-s nodad
for n in "$s" "$c"; do ip -n "$n" link set lo up; done
# no link-local addresses: less IPv6 chatter (DAD, MLD) that could count during a probe
ip -n "$c" link set veth-c addrgenmode none
ip -n "$s" link set veth-s addrgenmode none
ip -n "$c" link set veth-c up
ip -n "$s" link set veth-s up
# static neighbours: no neighbour discovery traffic may count in the middle of a probe
mac_c=$(ip -n "$c" -br link show veth-c | awk '{print $3}')
mac_s=$(ip -n "$s" -br link show veth-s | awk '{print $3}')
ip -n "$s" neigh replace 2001:db8:1::1 lladdr "$mac_c" dev veth-s nud permanent
ip -n "$c" neigh replace 2001:db8:1::2 lladdr "$mac_s" dev veth-c nud permanent
ip -n "$s" neigh replace 192.0.2.1 lladdr "$mac_c" dev veth-s nud permanent
ip -n "$c" neigh replace 192.0.2.2 lladdr "$mac_s" dev veth-c nud permanent
# wait for the link (bounded)
for _ in $(seq 1 50); do
  ip netns exec "$c" ping -c1 -W1 192.0.2.2 >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 1 # let the multicast listener reports of link-up pass

pass=0; failed=0; skipped=""
check() { # dir proto src dst dport iif oif expect
  if timeout 60 "$probe" "$s" "$c" "$@"; then pass=$((pass+1)); else failed=$((failed+1)); echo "^^^ FAILED: $*"; fi
}
# IPv4, the same for every variant: rules.iptables and rules.nft decide these alike
cases() {
  check input  tcp 192.0.2.1 192.0.2.2 443  veth-s - accept
  check input  tcp 192.0.2.1 192.0.2.2 22   veth-s - drop
  check input  tcp 192.0.2.1 192.0.2.2 8080 veth-s - reject
  check input  udp 192.0.2.1 192.0.2.2 5005 veth-s - drop
  check input  udp 192.0.2.1 192.0.2.2 7000 veth-s - reject
  check input  udp 192.0.2.1 192.0.2.2 53   veth-s - accept
  # a LOG (iptables) / log + continue (nft) rule counts the probe, then the drop
  check input  tcp 192.0.2.1 192.0.2.2 9999 veth-s - drop
  check output udp 192.0.2.2 192.0.2.1 6000 - veth-s drop
  check output tcp 192.0.2.2 192.0.2.1 6001 - veth-s reject
  # notrack before conntrack (raw table / priority raw): ct state new fails, untracked holds
  check input  udp 192.0.2.1 192.0.2.2 5353 veth-s - drop
  check input  udp 192.0.2.1 192.0.2.2 5354 veth-s - accept
  # a chain of higher priority on prerouting (raw / mangle) drops before filter accepts
  check input  tcp 192.0.2.1 192.0.2.2 7007 veth-s - drop
  # rate limits: uncertain; a quiet rule lets one probe through (limit) or not (over)
  check input  tcp 192.0.2.1 192.0.2.2 7001 veth-s - uncertain:accept
  check input  udp 192.0.2.1 192.0.2.2 7002 veth-s - uncertain:accept
  # a non-contiguous netmask (192.0.0.1/255.255.0.255 holds 192.0.2.1)
  check input  udp 192.0.2.1 192.0.2.2 7010 veth-s - drop
}
cases_nft() {
  check input  tcp 192.0.2.1 192.0.2.2 7003 veth-s - uncertain:accept # meter, limit over
  check input  tcp 192.0.2.1 192.0.2.2 7008 veth-s - accept           # tcp flags syn
}
cases6() {
  check input  tcp 2001:db8:1::1 2001:db8:1::2 443  veth-s - accept
  check input  udp 2001:db8:1::1 2001:db8:1::2 5003 veth-s - drop
  check input  tcp 2001:db8:1::1 2001:db8:1::2 8080 veth-s - reject
  check input  tcp 2001:db8:1::1 2001:db8:1::2 9999 veth-s - drop
  check input  udp 2001:db8:1::1 2001:db8:1::2 7010 veth-s - drop # ffff:ffff::ffff mask
}
cases6_nft() {
  check input  udp 2001:db8:1::1 2001:db8:1::2 5354 veth-s - accept
  check input  udp 2001:db8:1::1 2001:db8:1::2 5353 veth-s - drop
  check input  tcp 2001:db8:1::1 2001:db8:1::2 7007 veth-s - drop
  check input  tcp 2001:db8:1::1 2001:db8:1::2 7001 veth-s - uncertain:accept
  check input  tcp 2001:db8:1::1 2001:db8:1::2 7008 veth-s - accept
}
echo "== iptables variant =="
ip netns exec "$s" iptables-restore < "$here/rules.iptables" || exit 1
ip netns exec "$s" ip6tables-restore < "$here/rules.ip6tables" || exit 1
cases
cases6
ip netns exec "$s" nft flush ruleset
echo "== nft variant =="
ip netns exec "$s" nft -f "$here/rules.nft" || exit 1
cases
cases_nft
cases6
cases6_nft
ip netns exec "$s" nft flush ruleset
# legacy (x_tables) tables: nrb reads them with iptables-legacy-save, which it runs only
# when the namespace's /proc/net/ip_tables_names lists tables -- checked in that
# namespace, not in the reader's (fwlab_probe reads from outside, like --netns)
echo "== iptables-legacy variant =="
if command -v iptables-legacy-restore >/dev/null && command -v ip6tables-legacy-restore >/dev/null; then
  ip netns exec "$s" iptables-legacy-restore < "$here/rules.iptables" || exit 1
  ip netns exec "$s" ip6tables-legacy-restore < "$here/rules.ip6tables" || exit 1
  cases
  cases6
else
  skipped=" (iptables-legacy not installed: legacy variant skipped)"
fi
echo "$pass passed, $failed failed$skipped"
[ "$failed" -eq 0 ]
