/* Fuzz target for core/net/pkt (libFuzzer entry point; also replayed by replay.c).
 *
 * The first input byte selects what the rest is fed to:
 *   mode % 4 == 0  nrb_pkt_parse_ip (a packet starting with an IP header)
 *   mode % 4 == 1  nrb_pkt_parse_l4 (bit 4: IPv6; bits 5-6: protocol)
 *   mode % 4 == 2  nrb_pkt_parse_recverr (a sock_extended_err, then the returned data)
 *   mode % 4 == 3  build a probe from the bytes, parse it back, check the round trip
 * Beyond memory safety (ASan), every parse result is checked for internal
 * consistency: offsets inside the buffer, signatures derivable without crashing. */
#include <errno.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static const uint8_t protos[4] = { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_UDP, IPPROTO_TCP };

static void check_info(const struct nrb_pkt_info *r, size_t size, int rc)
{
	struct nrb_pkt_sig sig;
	char text[64];

	if (rc != 0)
		return;
	CHECK(r->captured_len == size);
	CHECK(r->l4_off <= size && r->l4_len <= size - r->l4_off);
	CHECK(r->payload_off <= size && r->payload_len <= size - r->payload_off);
	CHECK(r->ip_hdr_len <= size);
	CHECK(r->quote.len <= size);
	CHECK(r->kind != NRB_PKT_ICMP_ERROR || r->err != NRB_ERR_NONE);
	(void)nrb_pkt_addr_to_string(&r->src, text, sizeof text);
	(void)nrb_pkt_addr_to_string(&r->quote.dst, text, sizeof text);
	(void)nrb_pkt_icmp_name(r->af, r->icmp_type, r->icmp_code);
	(void)nrb_pkt_err_name(r->err);
	if (nrb_pkt_sig_from_reply(r, &sig) == 0)
		CHECK(nrb_pkt_sig_match(&sig, &sig));
}

/* Build a probe from the input, parse it, and check that what comes back is what was
 * built, including checksums that verify. */
static void roundtrip(const uint8_t *d, size_t size)
{
	struct nrb_pkt_probe p;
	struct nrb_pkt_info r;
	struct nrb_pkt_sig ps, rs;
	uint8_t buf[1600];
	uint32_t sum;
	size_t cap;
	int n;

	if (size < 48)
		return;
	memset(&p, 0, sizeof p);
	p.ip.src.af = p.ip.dst.af = (d[0] & 1) ? AF_INET6 : AF_INET;
	memcpy(p.ip.src.bytes, d + 1, 16);
	memcpy(p.ip.dst.bytes, d + 17, 16);
	if (p.ip.src.af == AF_INET) {
		memset(p.ip.src.bytes + 4, 0, 12);
		memset(p.ip.dst.bytes + 4, 0, 12);
	}
	p.proto = protos[(d[0] >> 1) & 3];
	if (p.proto == IPPROTO_ICMP || p.proto == IPPROTO_ICMPV6)
		p.proto = p.ip.src.af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	p.ip.ttl = d[33];
	p.ip.tos = d[34];
	p.ip.ip_id = (uint16_t)(d[35] << 8 | d[36]);
	p.ip.dont_frag = d[0] & 8;
	p.ip.flow_label = (uint32_t)d[37] << 16 | (uint32_t)d[38] << 8 | d[39];
	p.icmp_id = p.sport = p.tcp.sport = (uint16_t)(d[40] << 8 | d[41]);
	p.icmp_seq = p.dport = p.tcp.dport = (uint16_t)(d[42] << 8 | d[43]);
	p.tcp.seq = (uint32_t)d[44] << 24 | (uint32_t)d[45] << 16 | (uint32_t)d[46] << 8 | d[47];
	p.tcp.flags = d[0] & 0x10 ? NRB_TCP_SYN : (uint8_t)(d[1] | NRB_TCP_ACK);
	p.tcp.ack = ~p.tcp.seq;
	p.tcp.window = (uint16_t)(d[2] << 8 | d[3]);
	p.tcp.mss = d[0] & 0x20 ? (uint16_t)(d[4] << 8 | d[5]) : 0;
	p.data = d + 48;
	p.data_len = size - 48;
	cap = d[0] & 0x40 ? (size_t)d[6] * 6 : sizeof buf; /* sometimes too small */
	if (cap > sizeof buf)
		cap = sizeof buf;
	n = nrb_pkt_build_probe(buf, cap, &p);
	if (n < 0) {
		CHECK(n == -ENOSPC || n == -EINVAL);
		return;
	}
	CHECK((size_t)n <= cap);
	CHECK(nrb_pkt_parse_ip(buf, (size_t)n, &r) == 0);
	check_info(&r, (size_t)n, 0);
	CHECK(r.proto == p.proto && r.ttl == p.ip.ttl);
	CHECK(nrb_pkt_addr_equal(&r.src, &p.ip.src) && nrb_pkt_addr_equal(&r.dst, &p.ip.dst));
	sum = p.proto == IPPROTO_ICMP ? 0
	    : nrb_pkt_csum_pseudo(&r.src, &r.dst, r.proto, (uint32_t)r.l4_len);
	CHECK(nrb_pkt_csum_fold(nrb_pkt_csum_add(sum, buf + r.l4_off, r.l4_len)) == 0);
	if (r.af == AF_INET)
		CHECK(nrb_pkt_csum_fold(nrb_pkt_csum_add(0, buf, r.ip_hdr_len)) == 0);
	CHECK(nrb_pkt_sig_from_probe(&p, &ps) == 0);
	switch (p.proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		CHECK(r.kind == NRB_PKT_ECHO_REQUEST && r.icmp_id == p.icmp_id &&
		      r.icmp_seq == p.icmp_seq && r.payload_len == p.data_len);
		break;
	case IPPROTO_UDP:
		CHECK(r.kind == NRB_PKT_UDP && r.sport == p.sport && r.payload_len == p.data_len);
		break;
	case IPPROTO_TCP:
		CHECK(r.kind == NRB_PKT_TCP && r.tcp_seq == p.tcp.seq &&
		      r.tcp_flags == p.tcp.flags && r.tcp_mss == p.tcp.mss &&
		      r.tcp_window == p.tcp.window);
		/* the probe, seen as a reply from its destination, answers itself only if
		 * the addresses are equal; its signature is at least derivable */
		CHECK(nrb_pkt_sig_from_reply(&r, &rs) == 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sock_extended_err ee;
	struct sockaddr_in6 off, dst;
	struct nrb_pkt_info r;
	uint8_t mode, proto;
	int af, rc;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	af = (mode & 0x10) ? AF_INET6 : AF_INET;
	proto = protos[(mode >> 5) & 3];
	switch (mode & 3) {
	case 0:
		rc = nrb_pkt_parse_ip(data, size, &r);
		CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
		check_info(&r, size, rc);
		break;
	case 1:
		rc = nrb_pkt_parse_l4(af, proto, data, size, &r);
		CHECK(rc == 0 || rc == -EBADMSG || rc == -EINVAL);
		check_info(&r, size, rc);
		break;
	case 2:
		if (size < sizeof ee + 16)
			return 0;
		memcpy(&ee, data, sizeof ee);
		memset(&off, 0, sizeof off);
		memset(&dst, 0, sizeof dst);
		off.sin6_family = (mode & 0x80) ? AF_INET6 : AF_INET;
		dst.sin6_family = (uint16_t)af;
		memcpy(&off.sin6_addr, data + sizeof ee, 16);
		memcpy(&dst.sin6_addr, data + sizeof ee, 16);
		if (mode & 0x04)
			proto = IPPROTO_RAW;
		data += sizeof ee + 16;
		size -= sizeof ee + 16;
		rc = nrb_pkt_parse_recverr(af, proto, &ee, (struct sockaddr *)&off,
		                           (struct sockaddr *)&dst, data, size, &r);
		CHECK(rc == 0 || rc == -EBADMSG || rc == -EINVAL);
		check_info(&r, size, rc);
		break;
	default:
		roundtrip(data, size);
		break;
	}
	return 0;
}
