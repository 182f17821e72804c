# shellcheck shell=bash
SC_DESC="r2 silently drops TCP port 443; ICMP, UDP and TCP 80/8080 pass"
SC_CLASS=PATH_FIREWALL SC_HOP=2 SC_DEVICE=r2
SC_NOTE="r2 (hop 2) forward chain drops tcp dport 443. TTL-exceeded is sent before the forward chain, so a TCP traceroute to 443 still shows hop 2 and stops after it, while ICMP and TCP-80 traceroutes reach the server."

sc_apply() {
	lab_nft r2 <<'NFT'
table inet nrb_lab {
	chain forward {
		type filter hook forward priority 0; policy accept;
		tcp dport 443 drop
	}
}
NFT
}

sc_check() {
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "ICMP traceroute" "$(trace I)" "$H1 $H2 $H3 $H4"
	expect_eq "TCP traceroute to 80" "$(trace T 80)" "$H1 $H2 $H3 $H4"
	expect_eq "TCP traceroute to 443" "$(trace T 443)" "$H1 $H2 * * * *"
	expect_eq "TCP 80" "$(tcp 80)" open
	expect_eq "TCP 443" "$(tcp 443)" timeout
	expect_eq "UDP echo 9999" "$(udp_echo 9999)" nrb-lab-probe
}
