# shellcheck shell=bash
SC_DESC="r2 rate-limits its ICMP errors: loss shows at hop 2 only, nothing beyond it loses"
SC_CLASS=OK SC_DEVICE=r2 SC_ACCEPT="ICMP_FILTERED"
SC_NOTE="r2 (hop 2) has net.ipv4.icmp_ratelimit=2000 and net.ipv6.icmp.ratelimit=2000 (one TTL-exceeded per 2 s per destination after a small burst); forwarding is untouched. mtr shows loss at hop 2 and 0% at hops 3 and 4. Do not blame hop 2."

sc_apply() {
	lab_sysctl r2 net.ipv4.icmp_ratelimit=2000 net.ipv6.icmp.ratelimit=2000
}

sc_check() {
	local m l2 l3 l4
	m=$(mtr_loss 30)
	echo "# mtr: $(tr '\n' ' ' <<<"$m")"
	l2=$(awk '$1 == 2 { print $3 }' <<<"$m")
	l3=$(awk '$1 == 3 { print $3 }' <<<"$m")
	l4=$(awk '$1 == 4 { print $3 }' <<<"$m")
	expect_cmp "mtr loss % at hop 2" "${l2:-0}" -ge 30
	expect_eq "mtr loss % at hop 3" "$l3" 0
	expect_eq "mtr loss % at hop 4 (server)" "$l4" 0
	expect_eq "TCP 443" "$(tcp 443)" open
}
