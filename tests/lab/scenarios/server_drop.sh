# shellcheck shell=bash
SC_DESC="the server's own firewall silently drops TCP port 443"
SC_CLASS=SERVER_FIREWALL SC_HOP=4 SC_DEVICE=server SC_ACCEPT="PATH_FIREWALL"
SC_NOTE="the server's input chain drops tcp dport 443 (an nft rule with a counter: the server-side runbook sees it count the client's SYNs); ping and TCP 80 reach it. From the client alone this looks like a filter between hop 3 and the server (TCP traceroute to 443 stops after hop 3); a capture on the server (server-side runbook) shows the SYNs arriving, which is what makes it the server's firewall."

sc_apply() {
	lab_nft server <<'NFT'
table inet nrb_lab {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 443 counter drop
	}
}
NFT
}

sc_check() {
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "TCP traceroute to 80" "$(trace T 80)" "$H1 $H2 $H3 $H4"
	expect_eq "TCP traceroute to 443" "$(trace T 443)" "$H1 $H2 $H3 * * *"
	expect_eq "TCP 80" "$(tcp 80)" open
	expect_eq "TCP 443" "$(tcp 443)" timeout
	# The SYNs do reach the server (seen by a capture there).
	timeout 8 ip netns exec "$(ns server)" tcpdump -i eth0 -n -l -c 1 'tcp dst port 443' \
		>"$tmp/srv.txt" 2>/dev/null &
	local pid=$!
	sleep 1
	tcp 443 >/dev/null
	wait "$pid" || true
	expect_match "SYN captured on the server" "$(head -n1 "$tmp/srv.txt")" "> $SRV\\.443: Flags \\[S\\]"
}
