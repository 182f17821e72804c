# shellcheck shell=bash
SC_DESC="the server's own firewall rejects TCP port 443 with ICMP port unreachable"
SC_CLASS=SERVER_FIREWALL SC_HOP=4 SC_DEVICE=server
SC_NOTE="the server's input chain: tcp dport 443 reject (nft inet default: ICMP port unreachable / ICMPv6 port unreachable), sent from the server's address. A TCP stack never answers a SYN with ICMP port unreachable, so this is a firewall on the server, not a missing listener (which answers RST)."

sc_apply() {
	lab_nft server <<'NFT'
table inet nrb_lab {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 443 reject
	}
}
NFT
}

sc_check() {
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "TCP 80" "$(tcp 80)" open
	expect_eq "TCP 443" "$(tcp 443)" refused
	local cap
	cap=$(capture "icmp or icmp6 or tcp port 443" 8 -- tcp 443)
	if [ "$FAM" = 6 ]; then
		expect_match "ICMPv6 port unreachable from the server" "$(grep -m1 'unreachable' <<<"$cap")" "$SRV > $CLIENT6: .*unreachable port"
	else
		expect_match "ICMP port unreachable from the server" "$(grep -m1 'unreachable' <<<"$cap")" "$SRV > $CLIENT4: ICMP $SRV tcp port 443 unreachable"
	fi
	expect_eq "RSTs seen" "$(grep -c 'Flags \[R' <<<"$cap" || true)" 0
}
