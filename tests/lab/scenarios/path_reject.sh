# shellcheck shell=bash
SC_DESC="r2 rejects TCP port 443 with ICMP administratively prohibited; other traffic passes"
SC_CLASS=PATH_FIREWALL SC_HOP=2 SC_DEVICE=r2
SC_NOTE="r2 (hop 2) forward chain: tcp dport 443 reject with icmpx admin-prohibited (ICMP type 3 code 13; ICMPv6 type 1 code 1), sent from r2's own address. TCP traceroute to 443 shows r2 with !X from TTL 3 on."

sc_apply() {
	lab_nft r2 <<'NFT'
table inet nrb_lab {
	chain forward {
		type filter hook forward priority 0; policy accept;
		tcp dport 443 reject with icmpx type admin-prohibited
	}
}
NFT
}

sc_check() {
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "TCP 80" "$(tcp 80)" open
	expect_match "TCP 443 (fails at once)" "$(tcp 443)" '^(unreachable|prohibited)$'
	expect_eq "TCP traceroute to 443" "$(trace T 443)" "$H1 $H2 $H2!X"
	local cap
	cap=$(capture "icmp or icmp6" 8 -- tcp 443)
	if [ "$FAM" = 6 ]; then
		expect_match "ICMPv6 seen" "$(grep -m1 'unreachable' <<<"$cap")" "$H2 > $CLIENT6: .*unreachable prohibited"
	else
		expect_match "ICMP seen" "$(grep -m1 'unreachable' <<<"$cap")" "$H2 > $CLIENT4: ICMP host $SRV unreachable - admin prohibited"
	fi
}
