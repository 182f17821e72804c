# shellcheck shell=bash
SC_DESC="r3, the last router, silently drops TCP port 443 towards the server; ICMP and TCP 80 pass"
SC_CLASS=PATH_FIREWALL SC_HOP=3 SC_DEVICE=r3 SC_ACCEPT="SERVER_FIREWALL"
SC_NOTE="r3 (hop 3, the server's gateway) forward chain drops tcp dport 443 out of its server-side interface (eth1). TTL-exceeded is sent before the forward chain, so a TCP traceroute to 443 shows hops 1-3 and stops: from the client this is exactly server_drop (the truth accepts SERVER_FIREWALL from the client alone). A capture on the server sees no SYN arrive, which is what puts the fault on r3 (server-side runbook + nrb merge, issue 8)."

sc_apply() {
	lab_nft r3 <<'NFT'
table inet nrb_lab {
	chain forward {
		type filter hook forward priority 0; policy accept;
		oifname "eth1" tcp dport 443 drop
	}
}
NFT
}

sc_check() {
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "ICMP traceroute" "$(trace I)" "$H1 $H2 $H3 $H4"
	expect_eq "TCP traceroute to 80" "$(trace T 80)" "$H1 $H2 $H3 $H4"
	expect_eq "TCP traceroute to 443" "$(trace T 443)" "$H1 $H2 $H3 * * *"
	expect_eq "TCP 80" "$(tcp 80)" open
	expect_eq "TCP 443" "$(tcp 443)" timeout
	# The SYNs to 443 never reach the server (a capture there sees none, while it does see
	# the SYN to port 80 sent just before: the capture works) ...
	timeout 7 ip netns exec "$(ns server)" tcpdump -i eth0 -n -l 'tcp dst port 443 or tcp dst port 80' \
		>"$tmp/srv.txt" 2>/dev/null &
	local pid=$!
	sleep 1
	tcp 80 >/dev/null
	tcp 443 >/dev/null
	wait "$pid" || true
	expect_eq "SYNs to 80 captured on the server" "$(grep -c "> $SRV\.80: Flags \[S\]" "$tmp/srv.txt" || true)" 1
	expect_eq "SYNs to 443 captured on the server" "$(grep -c "> $SRV\.443: Flags \[S\]" "$tmp/srv.txt" || true)" 0
	# ... while they do reach r3 (its capture on the client side sees them).
	timeout 6 ip netns exec "$(ns r3)" tcpdump -i eth0 -n -l -c 1 'tcp dst port 443' \
		>"$tmp/r3.txt" 2>/dev/null &
	pid=$!
	sleep 1
	tcp 443 >/dev/null
	wait "$pid" || true
	expect_match "SYN captured on r3" "$(head -n1 "$tmp/r3.txt")" "> $SRV\\.443: Flags \\[S\\]"
}
