# shellcheck shell=bash
SC_DESC="r2 never sends TTL-exceeded but forwards everything"
SC_CLASS=OK SC_DEVICE=r2 SC_ACCEPT="ICMP_FILTERED"
SC_NOTE="r2 (hop 2) drops its own ICMP time-exceeded (v4 and v6) in its output chain. Traceroutes show * at hop 2 and then continue; the service works. Do not blame hop 2."

sc_apply() {
	lab_nft r2 <<'NFT'
table inet nrb_lab {
	chain output {
		type filter hook output priority 0; policy accept;
		icmp type time-exceeded drop
		icmpv6 type time-exceeded drop
	}
}
NFT
}

sc_check() {
	expect_eq "ICMP traceroute" "$(trace I)" "$H1 * $H3 $H4"
	expect_eq "TCP traceroute to 443" "$(trace T 443)" "$H1 * $H3 $H4"
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	if ping_ok "$H2"; then ok "r2 answers pings to its own address"; else bad "r2 does not answer pings"; fi
	expect_eq "TCP 443" "$(tcp 443)" open
	expect_cmp "bytes of GET / on 8080" "$(http 8080 /)" -gt 65536
}
