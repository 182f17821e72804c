# shellcheck shell=bash
SC_DESC="PMTU blackhole: the r2-r3 link has MTU 1280 and r2/r3 suppress 'fragmentation needed' / 'packet too big'"
SC_CLASS=PMTU_BLACKHOLE SC_HOP=2 SC_DEVICE=r2 SC_PORT=8080
SC_NOTE="r2 eth1 and r3 eth0 have MTU 1280; r2 and r3 drop their own ICMP frag-needed (type 3 code 4) and ICMPv6 packet-too-big in their output chains. Small packets and the TCP handshake pass; the server's full-size segments (port 8080 always answers 64 KiB, GET /big on any port too) vanish at r3, big pings vanish at r2, and no error ever comes back. hop 2 = r2, the last hop that answers full-size probes (the narrow link is between hops 2 and 3)."

sc_apply() {
	nsx r2 ip link set eth1 mtu 1280
	nsx r3 ip link set eth0 mtu 1280
	local n
	for n in r2 r3; do
		lab_nft "$n" <<'NFT'
table inet nrb_lab {
	chain output {
		type filter hook output priority 0; policy accept;
		icmp type destination-unreachable icmp code frag-needed drop
		icmpv6 type packet-too-big drop
	}
}
NFT
	done
}

sc_check() {
	expect_eq "ping loss %, 56 bytes" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "ping loss %, 1400 bytes DF" "$(ping_stats "$SRV" 3 1400 | cut -d' ' -f1)" 100
	expect_eq "ping loss % to r2, 1400 bytes DF" "$(ping_stats "$H2" 3 1400 | cut -d' ' -f1)" 0
	expect_eq "TCP 8080 handshake" "$(tcp 8080)" open
	expect_cmp "bytes of GET / on 80 (small)" "$(http 80 /)" -gt 0
	expect_cmp "bytes of GET / on 8080 (64 KiB)" "$(http 8080 /)" -lt 65536
	local cap
	cap=$(capture "icmp or icmp6" 6 -- ping_stats "$SRV" 2 1400)
	expect_eq "frag-needed / too-big messages seen" "$(grep -c -E 'need to frag|packet too big' <<<"$cap" || true)" 0
	# tracepath: hop 2 answers full-size probes, nothing beyond it does, no pmtu is learnt.
	local tp
	tp=$(timeout 40 ip netns exec "$(ns client)" tracepath "$PF" -n -m 4 "$SRV" 2>&1 || true)
	expect_match "tracepath hop 2" "$(awk '$1 == "2:" { print $2; exit }' <<<"$tp")" "^$H2\$"
	expect_eq "tracepath reaches the server" "$(grep -c -F " $SRV " <<<"$tp" || true)" 0
	expect_eq "tracepath learns pmtu 1280" "$(grep -c 'pmtu 1280' <<<"$tp" || true)" 0
}
