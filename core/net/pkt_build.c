/* pkt_build: checksums, address helpers and probe builders (see pkt.h). */
#include "net/pkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

/* Big-endian stores: the buffers are byte arrays with no alignment guarantee. */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static size_t addr_len(uint8_t af)
{
	return af == AF_INET ? 4 : af == AF_INET6 ? 16 : 0;
}

int nrb_pkt_addr_from_sockaddr(struct nrb_pkt_addr *out, const struct sockaddr *sa,
                               socklen_t len)
{
	if (!out || !sa)
		return -EINVAL;
	memset(out, 0, sizeof *out);
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		out->af = AF_INET;
		memcpy(out->bytes, &s4->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		out->af = AF_INET6;
		memcpy(out->bytes, &s6->sin6_addr, 16);
		return 0;
	}
	return -EINVAL;
}

int nrb_pkt_addr_from_string(struct nrb_pkt_addr *out, const char *text)
{
	if (!out || !text)
		return -EINVAL;
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->af = AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof *out);
	return -EINVAL;
}

const char *nrb_pkt_addr_to_string(const struct nrb_pkt_addr *a, char *buf, size_t len)
{
	if (!a || !buf || !addr_len(a->af) || len > (size_t)(socklen_t)-1 ||
	    !inet_ntop(a->af, a->bytes, buf, (socklen_t)len))
		return "?";
	return buf;
}

int nrb_pkt_addr_equal(const struct nrb_pkt_addr *a, const struct nrb_pkt_addr *b)
{
	if (!a || !b || a->af != b->af)
		return 0;
	return memcmp(a->bytes, b->bytes, addr_len(a->af)) == 0;
}

uint32_t nrb_pkt_csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	/* Fold the 64-bit sum into 32 bits (2^32 = 1 mod 0xffff, so the ones'-complement
	 * result is unchanged) so a running sum never overflows between calls. */
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t nrb_pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t nrb_pkt_csum_pseudo(const struct nrb_pkt_addr *src, const struct nrb_pkt_addr *dst,
                             uint8_t proto, uint32_t l4_len)
{
	uint8_t tail[8];
	size_t alen;
	uint32_t sum;

	if (!src || !dst || src->af != dst->af || !(alen = addr_len(src->af)))
		return 0;
	sum = nrb_pkt_csum_add(0, src->bytes, alen);
	sum = nrb_pkt_csum_add(sum, dst->bytes, alen);
	if (src->af == AF_INET) {
		/* zero, protocol, 16-bit length */
		tail[0] = 0;
		tail[1] = proto;
		put16(tail + 2, (uint16_t)l4_len);
		return nrb_pkt_csum_add(sum, tail, 4);
	}
	/* 32-bit length, three zero bytes, next header */
	put32(tail, l4_len);
	tail[4] = tail[5] = tail[6] = 0;
	tail[7] = proto;
	return nrb_pkt_csum_add(sum, tail, 8);
}

static int ip_ok(const struct nrb_pkt_ip *ip, uint8_t af)
{
	return ip && ip->src.af == af && ip->dst.af == af;
}

int nrb_pkt_build_ipv4(uint8_t *buf, size_t cap, const struct nrb_pkt_ip *ip, uint8_t proto,
                       size_t payload_len)
{
	if (!buf || !ip_ok(ip, AF_INET) || payload_len > 65535 - NRB_PKT_IPV4_HDR)
		return -EINVAL;
	if (cap < NRB_PKT_IPV4_HDR)
		return -ENOSPC;
	buf[0] = 0x45; /* version 4, IHL 5 words */
	buf[1] = ip->tos;
	put16(buf + 2, (uint16_t)(NRB_PKT_IPV4_HDR + payload_len));
	put16(buf + 4, ip->ip_id);
	put16(buf + 6, ip->dont_frag ? 0x4000 : 0); /* flags + fragment offset 0 */
	buf[8] = ip->ttl;
	buf[9] = proto;
	put16(buf + 10, 0);
	memcpy(buf + 12, ip->src.bytes, 4);
	memcpy(buf + 16, ip->dst.bytes, 4);
	put16(buf + 10, nrb_pkt_csum_fold(nrb_pkt_csum_add(0, buf, NRB_PKT_IPV4_HDR)));
	return NRB_PKT_IPV4_HDR;
}

int nrb_pkt_build_ipv6(uint8_t *buf, size_t cap, const struct nrb_pkt_ip *ip, uint8_t proto,
                       size_t payload_len)
{
	uint32_t first;

	if (!buf || !ip_ok(ip, AF_INET6) || payload_len > 65535)
		return -EINVAL;
	if (cap < NRB_PKT_IPV6_HDR)
		return -ENOSPC;
	/* version 6 | traffic class (8) | flow label (20) */
	first = 6u << 28 | (uint32_t)ip->tos << 20 | (ip->flow_label & 0xfffff);
	put32(buf, first);
	put16(buf + 4, (uint16_t)payload_len);
	buf[6] = proto;
	buf[7] = ip->ttl;
	memcpy(buf + 8, ip->src.bytes, 16);
	memcpy(buf + 24, ip->dst.bytes, 16);
	return NRB_PKT_IPV6_HDR;
}

int nrb_pkt_build_icmp_echo(uint8_t *buf, size_t cap, int af, uint16_t id, uint16_t seq,
                            const void *data, size_t data_len, const struct nrb_pkt_ip *ip)
{
	size_t total = NRB_PKT_ICMP_HDR + data_len;
	uint32_t sum;

	if (!buf || (af != AF_INET && af != AF_INET6) || (data_len && !data) ||
	    data_len > 65535 - NRB_PKT_IPV6_HDR - NRB_PKT_ICMP_HDR ||
	    (ip && !ip_ok(ip, (uint8_t)af)))
		return -EINVAL;
	if (cap < total)
		return -ENOSPC;
	buf[0] = af == AF_INET ? 8 : 128; /* echo request */
	buf[1] = 0;
	put16(buf + 2, 0);
	put16(buf + 4, id);
	put16(buf + 6, seq);
	if (data_len)
		memcpy(buf + NRB_PKT_ICMP_HDR, data, data_len);
	if (af == AF_INET) {
		put16(buf + 2, nrb_pkt_csum_fold(nrb_pkt_csum_add(0, buf, total)));
	} else if (ip) {
		sum = nrb_pkt_csum_pseudo(&ip->src, &ip->dst, IPPROTO_ICMPV6, (uint32_t)total);
		put16(buf + 2, nrb_pkt_csum_fold(nrb_pkt_csum_add(sum, buf, total)));
	}
	return (int)total;
}

int nrb_pkt_build_udp(uint8_t *buf, size_t cap, const struct nrb_pkt_ip *ip, uint16_t sport,
                      uint16_t dport, const void *data, size_t data_len)
{
	size_t total = NRB_PKT_UDP_HDR + data_len;
	uint32_t sum;
	uint16_t c;

	if (!buf || !ip || (ip->src.af != AF_INET && ip->src.af != AF_INET6) ||
	    !ip_ok(ip, ip->src.af) || (data_len && !data) ||
	    data_len > 65535 - NRB_PKT_IPV6_HDR - NRB_PKT_UDP_HDR)
		return -EINVAL;
	if (cap < total)
		return -ENOSPC;
	put16(buf, sport);
	put16(buf + 2, dport);
	put16(buf + 4, (uint16_t)total);
	put16(buf + 6, 0);
	if (data_len)
		memcpy(buf + NRB_PKT_UDP_HDR, data, data_len);
	sum = nrb_pkt_csum_pseudo(&ip->src, &ip->dst, IPPROTO_UDP, (uint32_t)total);
	c = nrb_pkt_csum_fold(nrb_pkt_csum_add(sum, buf, total));
	put16(buf + 6, c ? c : 0xffff); /* 0 means "no checksum" on the wire */
	return (int)total;
}

int nrb_pkt_build_tcp(uint8_t *buf, size_t cap, const struct nrb_pkt_ip *ip,
                      const struct nrb_pkt_tcp *tcp)
{
	size_t total = NRB_PKT_TCP_HDR + (tcp && tcp->mss ? NRB_PKT_TCP_MSS_OPT : 0);
	uint32_t sum;

	if (!buf || !ip || !tcp || (ip->src.af != AF_INET && ip->src.af != AF_INET6) ||
	    !ip_ok(ip, ip->src.af))
		return -EINVAL;
	if (cap < total)
		return -ENOSPC;
	put16(buf, tcp->sport);
	put16(buf + 2, tcp->dport);
	put32(buf + 4, tcp->seq);
	put32(buf + 8, (tcp->flags & NRB_TCP_ACK) ? tcp->ack : 0);
	buf[12] = (uint8_t)((total / 4) << 4); /* data offset in 32-bit words */
	buf[13] = tcp->flags;
	put16(buf + 14, tcp->window);
	put16(buf + 16, 0);
	put16(buf + 18, 0); /* urgent pointer */
	if (tcp->mss) {
		buf[20] = 2; /* kind: MSS */
		buf[21] = 4; /* length */
		put16(buf + 22, tcp->mss);
	}
	sum = nrb_pkt_csum_pseudo(&ip->src, &ip->dst, IPPROTO_TCP, (uint32_t)total);
	put16(buf + 16, nrb_pkt_csum_fold(nrb_pkt_csum_add(sum, buf, total)));
	return (int)total;
}

int nrb_pkt_build_probe(uint8_t *buf, size_t cap, const struct nrb_pkt_probe *p)
{
	size_t hl, l4;
	int n;

	if (!buf || !p)
		return -EINVAL;
	if (p->ip.src.af == AF_INET)
		hl = NRB_PKT_IPV4_HDR;
	else if (p->ip.src.af == AF_INET6)
		hl = NRB_PKT_IPV6_HDR;
	else
		return -EINVAL;
	if (cap < hl)
		return -ENOSPC;
	switch (p->proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((p->proto == IPPROTO_ICMP) != (p->ip.src.af == AF_INET))
			return -EINVAL;
		n = nrb_pkt_build_icmp_echo(buf + hl, cap - hl, p->ip.src.af, p->icmp_id,
		                            p->icmp_seq, p->data, p->data_len, &p->ip);
		break;
	case IPPROTO_UDP:
		n = nrb_pkt_build_udp(buf + hl, cap - hl, &p->ip, p->sport, p->dport, p->data,
		                      p->data_len);
		break;
	case IPPROTO_TCP:
		n = nrb_pkt_build_tcp(buf + hl, cap - hl, &p->ip, &p->tcp);
		break;
	default:
		return -EINVAL;
	}
	if (n < 0)
		return n;
	l4 = (size_t)n;
	n = hl == NRB_PKT_IPV4_HDR ? nrb_pkt_build_ipv4(buf, cap, &p->ip, p->proto, l4)
	                           : nrb_pkt_build_ipv6(buf, cap, &p->ip, p->proto, l4);
	if (n < 0)
		return n;
	return (int)(hl + l4);
}
