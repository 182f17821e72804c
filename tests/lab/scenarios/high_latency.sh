# shellcheck shell=bash
SC_DESC="100 ms added each way at r2 (a delay line), no loss"
SC_CLASS=OK SC_DEVICE=r2
SC_NOTE="r2 (hop 2) routes every forwarded packet through a TUN delay line (tests/lab/delay.py, 100 ms each way; no netem on this kernel). Hops 1-2 answer in well under a millisecond, hops 3-4 in about 200 ms; nothing is lost and the service works. Slow is not broken."

sc_apply() {
	nsx r2 ip tuntap add dev dly0 mode tun
	nsx r2 ip link set dly0 up
	lab_sysctl r2 net.ipv4.conf.dly0.rp_filter=0
	local f
	for f in -4 -6; do
		nsx r2 ip "$f" route add default dev dly0 table 100
		nsx r2 ip "$f" rule add iif eth0 lookup 100 pref 100
		nsx r2 ip "$f" rule add iif eth1 lookup 100 pref 101
	done
	lab_start delay r2 "$LAB_PY" "$LAB_DIR/delay.py" --dev dly0 --delay-ms 100 \
		--ready "$LAB_RUN/delay.ready"
	lab_wait_file "$LAB_RUN/delay.ready" 10
}

sc_check() {
	local s
	s=$(ping_stats "$H1" 3); expect_cmp "ping avg ms to hop 1" "$(printf '%.0f' "${s#* }")" -lt 20
	s=$(ping_stats "$H2" 3); expect_cmp "ping avg ms to hop 2" "$(printf '%.0f' "${s#* }")" -lt 20
	s=$(ping_stats "$SRV" 10)
	expect_eq "ping loss % to server" "${s% *}" 0
	expect_cmp "ping avg ms to server" "$(printf '%.0f' "${s#* }")" -ge 195
	expect_cmp "ping avg ms to server" "$(printf '%.0f' "${s#* }")" -lt 400
	expect_eq "ICMP traceroute" "$(trace I)" "$H1 $H2 $H3 $H4"
	expect_eq "TCP 443" "$(tcp 443)" open
	expect_cmp "bytes of GET / on 8080" "$(http 8080 /)" -gt 65536
}
