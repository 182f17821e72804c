# shellcheck shell=bash
SC_DESC="r2 silently drops UDP port 9999; ICMP and TCP pass"
SC_CLASS=PATH_FIREWALL SC_HOP=2 SC_DEVICE=r2 SC_PROTO=udp SC_PORT=9999
SC_NOTE="r2 (hop 2) forward chain drops udp dport 9999 (the server's UDP echo service). A UDP traceroute to port 9999 stops after hop 2; other UDP ports and TCP pass."

sc_apply() {
	lab_nft r2 <<'NFT'
table inet nrb_lab {
	chain forward {
		type filter hook forward priority 0; policy accept;
		udp dport 9999 drop
	}
}
NFT
}

sc_check() {
	expect_eq "UDP echo 9999" "$(udp_echo 9999)" ""
	expect_eq "UDP traceroute to 9999" "$(trace U 9999)" "$H1 $H2 * * * *"
	expect_eq "UDP traceroute to 33434" "$(trace U 33434)" "$H1 $H2 $H3 $H4"
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "TCP 443" "$(tcp 443)" open
}
