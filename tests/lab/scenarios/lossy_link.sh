# shellcheck shell=bash
SC_DESC="30% random loss on the r2-r3 link (into r3), persisting to the server"
SC_CLASS=ROUTING SC_HOP=3 SC_DEVICE=r3
SC_NOTE="r3 drops 30% of what arrives on its r2-side interface (nft numgen random, prerouting, so before the TTL check): hops 1-2 show no loss, hop 3 and the server both lose about 30%. hop 3 = where the loss starts; the faulty link is between hop 2 (r2) and hop 3 (r3)."

sc_apply() {
	lab_nft r3 <<'NFT'
table inet nrb_lab {
	chain prerouting {
		type filter hook prerouting priority -300; policy accept;
		iifname "eth0" numgen random mod 100 < 30 drop
	}
}
NFT
}

sc_check() {
	local m l1 l2 l3 l4
	m=$(mtr_loss 40)
	echo "# mtr: $(tr '\n' ' ' <<<"$m")"
	l1=$(awk '$1 == 1 { print $3 }' <<<"$m")
	l2=$(awk '$1 == 2 { print $3 }' <<<"$m")
	l3=$(awk '$1 == 3 { print $3 }' <<<"$m")
	l4=$(awk '$1 == 4 { print $3 }' <<<"$m")
	expect_eq "mtr loss % at hop 1" "$l1" 0
	expect_eq "mtr loss % at hop 2" "$l2" 0
	expect_cmp "mtr loss % at hop 3" "${l3:-0}" -gt 0
	expect_cmp "mtr loss % at hop 4 (server)" "${l4:-0}" -gt 0
	expect_cmp "mtr loss % at hop 4 (server)" "${l4:-100}" -lt 80
}
