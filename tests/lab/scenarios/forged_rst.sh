# shellcheck shell=bash
SC_DESC="r2 forges TCP resets for port 443 in the server's name"
SC_CLASS=FORGED_RST SC_HOP=2 SC_DEVICE=r2
SC_NOTE="r2 (hop 2) forward chain: tcp dport 443 reject with tcp reset. The RST carries the server's address but is built by r2 with TTL 64, so it arrives with TTL 63 (one hop away) while the server's genuine packets arrive with TTL 61."

sc_apply() {
	lab_nft r2 <<'NFT'
table inet nrb_lab {
	chain forward {
		type filter hook forward priority 0; policy accept;
		tcp dport 443 reject with tcp reset
	}
}
NFT
}

sc_check() {
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "TCP 80" "$(tcp 80)" open
	expect_eq "TCP 443" "$(tcp 443)" refused
	local cap
	cap=$(capture "tcp port 443" 8 -- tcp 443)
	expect_match "RST in the server's name" "$(grep -m1 'Flags \[R' <<<"$cap")" "$SRV\\.443 > "
	expect_eq "TTL of the forged RST" "$(ttl_of "$(grep -m1 'Flags \[R' <<<"$cap")")" 63
	cap=$(capture "tcp port 80" 8 -- tcp 80)
	expect_eq "TTL of the server's genuine SYN-ACK on 80" "$(ttl_of "$(grep -m1 'Flags \[S\.\]' <<<"$cap")")" 61
}
