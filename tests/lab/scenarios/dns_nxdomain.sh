# shellcheck shell=bash
SC_DESC="the target name nosuch.lab.example does not resolve (NXDOMAIN); the network is healthy"
SC_CLASS=DNS_FAILURE SC_TARGET=nosuch.lab.example SC_DEVICE=r1
SC_NOTE="the lab resolver (dnsmasq on r1, 192.0.2.1 / 2001:db8:1::1, the client's /etc/netns/nrb-client/resolv.conf) is authoritative for lab.example: server.lab.example resolves to 203.0.113.10 and 2001:db8:3::10, nosuch.lab.example is NXDOMAIN. The -v6 variant queries the resolver over IPv6."

sc_apply() {
	if [ "$FAM" = 6 ]; then
		printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$R1_C6" \
			>"/etc/netns/$(ns client)/resolv.conf"
	fi
}

sc_check() {
	local rc=0
	c getent hosts "$SC_TARGET" >/dev/null 2>&1 || rc=$?
	expect_eq "getent hosts $SC_TARGET exit status (2 = not found)" "$rc" 2
	expect_eq "getent ahosts $LAB_NAME_OK" "$(c getent ahostsv4 "$LAB_NAME_OK" | awk 'NR == 1 { print $1 }')" "$SERVER4"
	expect_match "resolver answered NXDOMAIN" "$(grep -m1 "$SC_TARGET is NXDOMAIN" "$LAB_RUN/dnsmasq.query.log" || true)" 'NXDOMAIN'
	if [ "$FAM" = 6 ]; then
		expect_match "query came over IPv6" "$(grep -m1 "query.* $SC_TARGET from" "$LAB_RUN/dnsmasq.query.log" || true)" "from $CLIENT6\$"
	fi
	expect_eq "ping loss % to server" "$(ping_stats "$SRV" 3 | cut -d' ' -f1)" 0
	expect_eq "TCP 443" "$(tcp 443)" open
}
