# shellcheck shell=bash
SC_DESC="the client's own nftables output chain drops TCP port 443"
SC_CLASS=LOCAL_FIREWALL SC_DEVICE=client
SC_NOTE="in nrb-client: table inet nrb_client_fw, chain output (hook output), tcp dport 443 drop. connect() to 443 fails with EPERM or times out; nothing leaves the host."

sc_apply() {
	lab_nft client <<'NFT'
table inet nrb_client_fw {
	chain output {
		type filter hook output priority 0; policy accept;
		tcp dport 443 drop
	}
}
NFT
}

sc_check() {
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "TCP 80" "$(tcp 80)" open
	expect_match "TCP 443" "$(tcp 443)" '^(denied|timeout)$'
	expect_eq "rule listed by nft" "$(c nft list chain inet nrb_client_fw output | grep -c 'tcp dport 443 drop' || true)" 1
	local cap
	cap=$(capture "tcp port 443" 6 -- tcp 443)
	expect_eq "SYNs to 443 on the wire" "$(grep -c 'Flags \[S\]' <<<"$cap" || true)" 0
}
