# shellcheck shell=bash
SC_DESC="the client's own iptables/ip6tables OUTPUT chain drops TCP port 443"
SC_CLASS=LOCAL_FIREWALL SC_DEVICE=client
SC_NOTE="in nrb-client: iptables -A OUTPUT -p tcp --dport 443 -j DROP and the same with ip6tables (iptables-nft). connect() to 443 fails with EPERM or times out; nothing leaves the host."

sc_apply() {
	nsx client iptables -A OUTPUT -p tcp --dport 443 -j DROP
	nsx client ip6tables -A OUTPUT -p tcp --dport 443 -j DROP
}

sc_check() {
	local ipt=iptables
	[ "$FAM" = 6 ] && ipt=ip6tables
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "TCP 80" "$(tcp 80)" open
	expect_match "TCP 443" "$(tcp 443)" '^(denied|timeout)$'
	expect_eq "rule listed by $ipt -S OUTPUT" "$(c "$ipt" -S OUTPUT | grep -c -- '--dport 443 -j DROP' || true)" 1
	local cap
	cap=$(capture "tcp port 443" 6 -- tcp 443)
	expect_eq "SYNs to 443 on the wire" "$(grep -c 'Flags \[S\]' <<<"$cap" || true)" 0
}
