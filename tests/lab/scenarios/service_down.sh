# shellcheck shell=bash
SC_DESC="nothing listens on TCP port 443 on the server; the host is up"
SC_CLASS=SERVICE_DOWN SC_HOP=4 SC_DEVICE=server
SC_NOTE="the server runs listeners on 80 and 8080 only; its kernel answers a SYN to 443 with a genuine RST (TTL 64 at the server, 61 at the client, same as its other packets)."
SC_TCP_PORTS="80 8080"

sc_check() {
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "TCP 80" "$(tcp 80)" open
	expect_eq "TCP 443" "$(tcp 443)" refused
	expect_eq "TCP traceroute to 443" "$(trace T 443)" "$H1 $H2 $H3 $H4"
	local cap
	cap=$(capture "tcp port 443" 8 -- tcp 443)
	expect_eq "TTL of the RST from the server" "$(ttl_of "$(grep -m1 'Flags \[R' <<<"$cap")")" 61
}
