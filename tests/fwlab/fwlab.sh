#!/usr/bin/env bash
# Lab test of the fw engine: load real rules (iptables and nft variants) into a network
# namespace created here, send one probe per flow across a veth pair from a second
# namespace (192.0.2.1 -> 192.0.2.2 and 2001:db8:1::1 -> ::2, documentation ranges), and check with fwlab_probe
# that the rule whose counter rose is the rule nrb named.  Nothing outside the two
# namespaces is touched; both are deleted on exit.  Exit 77 (skip) when not root.
set -uo pipefail
probe=${1:?usage: fwlab.sh PATH/TO/fwlab_probe}
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the fw lab needs root (network namespaces)"; exit 77; fi
for t in ip nft iptables-restore; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
s=nrb-fwlab-s-$$
c=nrb-fwlab-c-$$
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

pass=0; failed=0
check() { # dir proto src dst dport iif oif expect
  if timeout 60 "$probe" "$s" "$c" "$@"; then pass=$((pass+1)); else failed=$((failed+1)); echo "^^^ FAILED: $*"; fi
}
cases() {
  check input  tcp 192.0.2.1 192.0.2.2 443  veth-s - accept
  check input  tcp 192.0.2.1 192.0.2.2 22   veth-s - drop
  check input  tcp 192.0.2.1 192.0.2.2 8080 veth-s - reject
  check input  udp 192.0.2.1 192.0.2.2 5005 veth-s - drop
  check input  udp 192.0.2.1 192.0.2.2 7000 veth-s - reject
  check input  udp 192.0.2.1 192.0.2.2 53   veth-s - accept
  check input  tcp 192.0.2.1 192.0.2.2 9999 veth-s - drop
  check output udp 192.0.2.2 192.0.2.1 6000 - veth-s drop
  check output tcp 192.0.2.2 192.0.2.1 6001 - veth-s reject
}
cases6() {
  check input  tcp 2001:db8:1::1 2001:db8:1::2 443  veth-s - accept
  check input  udp 2001:db8:1::1 2001:db8:1::2 5003 veth-s - drop
  check input  tcp 2001:db8:1::1 2001:db8:1::2 8080 veth-s - reject
  check input  tcp 2001:db8:1::1 2001:db8:1::2 9999 veth-s - drop
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
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
