# shellcheck shell=bash
SC_DESC="no fault: every probe and every service works"
SC_CLASS=OK
SC_NOTE="baseline; all of ping, traceroute (ICMP/UDP/TCP), TCP 80/443/8080, UDP 9999 and DNS work"

sc_check() {
	expect_eq "ICMP traceroute" "$(trace I)" "$H1 $H2 $H3 $H4"
	expect_eq "TCP traceroute to 443" "$(trace T 443)" "$H1 $H2 $H3 $H4"
	expect_eq "UDP traceroute to 33434" "$(trace U 33434)" "$H1 $H2 $H3 $H4"
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 5 | cut -d' ' -f1)" 0
	expect_eq "TCP 80" "$(tcp 80)" open
	expect_eq "TCP 443" "$(tcp 443)" open
	expect_eq "TCP 8080" "$(tcp 8080)" open
	expect_cmp "bytes of GET / on 443" "$(http 443 /)" -lt 1000
	expect_cmp "bytes of GET /big on 80" "$(http 80 /big)" -gt 65536
	expect_cmp "bytes of GET / on 8080" "$(http 8080 /)" -gt 65536
	expect_eq "UDP echo 9999" "$(udp_echo 9999)" nrb-lab-probe
	expect_eq "TCP 8443 (no listener)" "$(tcp 8443)" refused
	local fam=ahostsv4; [ "$FAM" = 6 ] && fam=ahostsv6
	expect_eq "getent $fam $LAB_NAME_OK" "$(c getent $fam "$LAB_NAME_OK" | awk 'NR == 1 { print $1 }')" "$SRV"
	expect_eq "ping $PF 1400 bytes, DF" "$(ping_stats "$SRV" 3 1400 | cut -d' ' -f1)" 0
}
