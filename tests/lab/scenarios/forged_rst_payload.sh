# shellcheck shell=bash
SC_DESC="r2 lets the TCP 80 handshake through, then forges a reset when the request contains /forbidden"
SC_CLASS=FORGED_RST SC_HOP=2 SC_DEVICE=r2 SC_PORT=80
SC_NOTE="r2 (hop 2): iptables FORWARD -p tcp --dport 80 -m string --string /forbidden -j REJECT --reject-with tcp-reset (ip6tables the same). The handshake and other requests work; the request with the string is dropped and the client gets a RST in the server's name with TTL 63 (genuine server packets: 61). The probe must send the payload /forbidden to see it."

sc_apply() {
	nsx r2 iptables -A FORWARD -p tcp --dport 80 -m string --algo bm --string /forbidden \
		-j REJECT --reject-with tcp-reset
	nsx r2 ip6tables -A FORWARD -p tcp --dport 80 -m string --algo bm --string /forbidden \
		-j REJECT --reject-with tcp-reset
}

sc_check() {
	expect_eq "TCP 80 handshake" "$(tcp 80)" open
	expect_cmp "bytes of GET / on 80" "$(http 80 /)" -gt 0
	local cap
	cap=$(capture "tcp port 80" 10 -- http 80 /forbidden)
	expect_eq "bytes of GET /forbidden on 80" "$(http 80 /forbidden)" 0
	expect_eq "TTL of the server's SYN-ACK" "$(ttl_of "$(grep -m1 'Flags \[S\.\]' <<<"$cap")")" 61
	expect_match "RST in the server's name" "$(grep -m1 'Flags \[R' <<<"$cap")" "$SRV\\.80 > "
	expect_eq "TTL of the forged RST" "$(ttl_of "$(grep -m1 'Flags \[R' <<<"$cap")")" 63
}
