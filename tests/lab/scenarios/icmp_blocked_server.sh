# shellcheck shell=bash
SC_DESC="the server drops ICMP echo requests; TCP and UDP services work"
SC_CLASS=ICMP_FILTERED SC_HOP=4 SC_DEVICE=server
SC_NOTE="the server's input chain drops ICMP echo-request (v4 and v6). ping and ICMP traceroute fail at hop 4; TCP traceroute reaches the server and TCP 443 works."

sc_apply() {
	lab_nft server <<'NFT'
table inet nrb_lab {
	chain input {
		type filter hook input priority 0; policy accept;
		icmp type echo-request drop
		icmpv6 type echo-request drop
	}
}
NFT
}

sc_check() {
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 100
	expect_eq "ICMP traceroute" "$(trace I)" "$H1 $H2 $H3 * * *"
	expect_eq "TCP traceroute to 443" "$(trace T 443)" "$H1 $H2 $H3 $H4"
	expect_eq "TCP 443" "$(tcp 443)" open
	expect_eq "UDP echo 9999" "$(udp_echo 9999)" nrb-lab-probe
}
