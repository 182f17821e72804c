# shellcheck shell=bash
SC_DESC="routing blackhole at r2: everything for the server's network vanishes at hop 2"
SC_CLASS=ROUTING SC_HOP=1 SC_DEVICE=r2
SC_NOTE="r2 (hop 2) has a blackhole route for 203.0.113.0/24 and 2001:db8:3::/64; the route lookup drops before the TTL check, so r2 is silent for every probe toward the server and the last hop that answers is r1 (hop 1). r2 still answers pings to its own address."

sc_apply() {
	nsx r2 ip route replace blackhole 203.0.113.0/24
	nsx r2 ip -6 route replace blackhole 2001:db8:3::/64
}

sc_check() {
	expect_eq "ICMP traceroute" "$(trace I)" "$H1 * * * * *"
	expect_eq "TCP traceroute to 443" "$(trace T 443)" "$H1 * * * * *"
	expect_eq "UDP traceroute" "$(trace U 33434)" "$H1 * * * * *"
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 100
	expect_eq "TCP 443" "$(tcp 443)" timeout
	expect_eq "TCP 80" "$(tcp 80)" timeout
	if ping_ok "$H2"; then ok "r2 answers pings to its own address"; else bad "r2 does not answer pings"; fi
}
