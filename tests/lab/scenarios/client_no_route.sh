# shellcheck shell=bash
SC_DESC="the client has no default route (only its own LAN), so the server is unreachable locally"
SC_CLASS=LOCAL_ROUTE SC_DEVICE=client
SC_NOTE="in nrb-client the default routes (v4 and v6) are deleted; only the connected 192.0.2.0/24 and 2001:db8:1::/64 remain. Sending fails at once with ENETUNREACH, nothing leaves the host; the gateway r1 and the resolver on it still answer."

sc_apply() {
	nsx client ip route del default
	nsx client ip -6 route del default
}

sc_check() {
	expect_match "ping error" "$(ping_err "$SRV")" 'Network is unreachable'
	expect_match "TCP 443" "$(tcp 443)" '^unreachable$'
	if c ip route get "$SRV" >/dev/null 2>&1; then bad "ip route get $SRV succeeds"; else ok "ip route get $SRV fails"; fi
	if ping_ok "$H1"; then ok "gateway r1 answers"; else bad "gateway r1 does not answer"; fi
	expect_eq "getent ahosts $LAB_NAME_OK (resolver on r1)" "$(c getent ahostsv4 "$LAB_NAME_OK" | awk 'NR == 1 { print $1 }')" "$SERVER4"
}
