/* pkt_parse: parsers for received packets and reply signatures (see pkt.h).
 *
 * Every read goes through a bounds check against `end`, an offset one past the last
 * byte the current layer may use.  Offsets are size_t and compared before any
 * addition that could pass `end`, so a hostile length field cannot wrap them. */
#include "net/pkt.h"

#include <errno.h>
#include <time.h> /* linux/errqueue.h needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>

/* IPv6 extension headers we skip, at most this many (RFC 8200 4.1 order is not enforced). */
#define MAX_EXT_HEADERS 8

enum {
	V6_HOPOPTS = 0,
	V6_ROUTING = 43,
	V6_FRAGMENT = 44,
	V6_AH = 51,
	V6_NONE = 59,
	V6_DSTOPTS = 60
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The IP layer of a packet or of a quoted packet. */
struct ipview {
	uint8_t af;              /* AF_INET / AF_INET6 */
	uint8_t proto;           /* transport protocol after extension headers */
	size_t hdr_len;          /* bytes up to the transport header */
	size_t claimed_len;      /* total length the header claims */
	size_t end;              /* usable bytes: min(claimed, available) */
	struct nrb_pkt_addr src; /* source */
	struct nrb_pkt_addr dst; /* destination */
	uint8_t ttl;             /* TTL / hop limit */
	uint8_t tos;             /* TOS / traffic class */
	uint16_t id;             /* IPv4 identification */
	uint8_t df;              /* IPv4 DF */
	uint8_t more_frags;      /* MF set (v4) / M set (v6 fragment header) */
	uint8_t later_frag;      /* fragment offset != 0: no transport header here */
};

/* Skip IPv6 extension headers starting at off (next header nh).  Fills proto,
 * hdr_len and fragment fields.  @return 0 or -EBADMSG. */
static int skip_v6_ext(const uint8_t *b, size_t off, size_t end, uint8_t nh,
                       struct ipview *v)
{
	size_t hl;
	int n;

	for (n = 0; n <= MAX_EXT_HEADERS; n++) {
		switch (nh) {
		case V6_HOPOPTS:
		case V6_ROUTING:
		case V6_DSTOPTS:
		case V6_AH:
			if (n == MAX_EXT_HEADERS || end - off < 2)
				return -EBADMSG;
			hl = nh == V6_AH ? ((size_t)b[off + 1] + 2) * 4 : ((size_t)b[off + 1] + 1) * 8;
			if (end - off < hl)
				return -EBADMSG;
			nh = b[off];
			off += hl;
			break;
		case V6_FRAGMENT:
			if (n == MAX_EXT_HEADERS || end - off < 8)
				return -EBADMSG;
			v->more_frags = b[off + 3] & 1;
			if (get16(b + off + 2) & 0xfff8)
				v->later_frag = 1;
			nh = b[off];
			off += 8;
			if (v->later_frag) {
				v->proto = nh;
				v->hdr_len = off;
				return 0;
			}
			break;
		default:
			v->proto = nh;
			v->hdr_len = off;
			return 0;
		}
	}
	return -EBADMSG;
}

/* Parse the IP header at b[0..len).  A quoted header (quoted != 0) may claim more bytes
 * than are present (routers quote only the start); a received one may not.
 * @return 0, -EBADMSG, -EPROTONOSUPPORT (not version 4 or 6). */
static int parse_iphdr(const uint8_t *b, size_t len, int quoted, struct ipview *v)
{
	size_t ihl, fo;

	memset(v, 0, sizeof *v);
	if (len < 1)
		return -EBADMSG;
	if (b[0] >> 4 == 4) {
		if (len < NRB_PKT_IPV4_HDR)
			return -EBADMSG;
		ihl = (size_t)(b[0] & 0x0f) * 4;
		v->claimed_len = get16(b + 2);
		if (ihl < NRB_PKT_IPV4_HDR || ihl > len || v->claimed_len < ihl)
			return -EBADMSG;
		if (!quoted && v->claimed_len > len)
			return -EBADMSG;
		v->af = AF_INET;
		v->hdr_len = ihl;
		v->end = v->claimed_len < len ? v->claimed_len : len;
		v->tos = b[1];
		v->id = get16(b + 4);
		fo = get16(b + 6);
		v->df = (fo & 0x4000) != 0;
		v->more_frags = (fo & 0x2000) != 0;
		v->later_frag = (fo & 0x1fff) != 0;
		v->ttl = b[8];
		v->proto = b[9];
		v->src.af = v->dst.af = AF_INET;
		memcpy(v->src.bytes, b + 12, 4);
		memcpy(v->dst.bytes, b + 16, 4);
		return 0;
	}
	if (b[0] >> 4 == 6) {
		if (len < NRB_PKT_IPV6_HDR)
			return -EBADMSG;
		v->claimed_len = (size_t)get16(b + 4) + NRB_PKT_IPV6_HDR;
		/* payload length 0 means a jumbogram (RFC 2675): never a reply to a probe */
		if (v->claimed_len == NRB_PKT_IPV6_HDR && b[6] == V6_HOPOPTS)
			return -EBADMSG;
		if (!quoted && v->claimed_len > len)
			return -EBADMSG;
		v->af = AF_INET6;
		v->end = v->claimed_len < len ? v->claimed_len : len;
		v->tos = (uint8_t)(get16(b) >> 4);
		v->ttl = b[7];
		v->src.af = v->dst.af = AF_INET6;
		memcpy(v->src.bytes, b + 8, 16);
		memcpy(v->dst.bytes, b + 24, 16);
		return skip_v6_ext(b, NRB_PKT_IPV6_HDR, v->end, b[6], v);
	}
	return -EPROTONOSUPPORT;
}

static enum nrb_pkt_err classify(int af, uint8_t type, uint8_t code)
{
	if (af == AF_INET) {
		switch (type) {
		case 3:
			switch (code) {
			case 0: case 6: case 11: return NRB_ERR_NET_UNREACH;
			case 1: case 7: case 8: case 12: return NRB_ERR_HOST_UNREACH;
			case 2: return NRB_ERR_PROTO_UNREACH;
			case 3: return NRB_ERR_PORT_UNREACH;
			case 4: return NRB_ERR_FRAG_NEEDED;
			case 5: return NRB_ERR_SRCROUTE_FAILED;
			case 9: case 10: case 13: case 14: case 15: return NRB_ERR_ADMIN_PROHIB;
			default: return NRB_ERR_OTHER;
			}
		case 11:
			return code == 0 ? NRB_ERR_TTL_EXCEEDED
			     : code == 1 ? NRB_ERR_REASSEMBLY : NRB_ERR_OTHER;
		case 12:
			return NRB_ERR_PARAM_PROBLEM;
		case 4: /* source quench */
		case 5: /* redirect */
			return NRB_ERR_OTHER;
		default:
			return NRB_ERR_NONE;
		}
	}
	switch (type) {
	case 1:
		switch (code) {
		case 0: return NRB_ERR_NET_UNREACH;
		case 1: case 5: case 6: return NRB_ERR_ADMIN_PROHIB;
		case 2: return NRB_ERR_BEYOND_SCOPE;
		case 3: return NRB_ERR_HOST_UNREACH;
		case 4: return NRB_ERR_PORT_UNREACH;
		case 7: return NRB_ERR_SRCROUTE_FAILED;
		default: return NRB_ERR_OTHER;
		}
	case 2:
		return NRB_ERR_PACKET_TOO_BIG;
	case 3:
		return code == 0 ? NRB_ERR_TTL_EXCEEDED
		     : code == 1 ? NRB_ERR_REASSEMBLY : NRB_ERR_OTHER;
	case 4:
		return code == 1 ? NRB_ERR_PROTO_UNREACH : NRB_ERR_PARAM_PROBLEM;
	default:
		return NRB_ERR_NONE;
	}
}

/* The first 8 bytes of a quoted transport header: ports, TCP seq, ICMP id/seq. */
static void quote_l4(struct nrb_pkt_quote *q, const uint8_t *b, size_t avail)
{
	if (avail < 8)
		return;
	switch (q->proto) {
	case IPPROTO_UDP:
	case IPPROTO_TCP:
	case IPPROTO_SCTP:
	case IPPROTO_UDPLITE:
	case IPPROTO_DCCP:
		q->sport = get16(b);
		q->dport = get16(b + 2);
		if (q->proto == IPPROTO_TCP)
			q->tcp_seq = get32(b + 4);
		q->l4_present = 1;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		q->icmp_type = b[0];
		q->icmp_id = get16(b + 4);
		q->icmp_seq = get16(b + 6);
		q->l4_present = 1;
		break;
	default:
		break;
	}
}

/* Parse the packet quoted in an ICMP error, b[0..len).  A quote we cannot parse is not
 * an error of the outer packet: q->present stays 0. */
static void parse_quote(const uint8_t *b, size_t len, struct nrb_pkt_quote *q)
{
	struct ipview v;

	if (parse_iphdr(b, len, 1, &v) != 0)
		return;
	q->present = 1;
	q->proto = v.proto;
	q->src = v.src;
	q->dst = v.dst;
	q->ttl = v.ttl;
	q->tos = v.tos;
	q->ip_id = v.id;
	q->ip_len = (uint16_t)(v.claimed_len > 0xffff ? 0xffff : v.claimed_len);
	q->len = len;
	if (!v.later_frag && v.hdr_len <= len)
		quote_l4(q, b + v.hdr_len, len - v.hdr_len);
}

/* RFC 4884 extensions of an ICMP error message p[0..len) (ICMP header included): find
 * the extension structure, record MPLS label stacks (RFC 4950, class 1 c-type 1), and
 * return how many bytes after the 8-byte header belong to the quoted datagram. */
static size_t icmp_ext(const uint8_t *p, size_t len, struct nrb_pkt_info *out)
{
	size_t body = len - NRB_PKT_ICMP_HDR, orig, off, olen, i;
	const uint8_t *e;
	int v4 = out->af == AF_INET;

	/* only these errors define the length field: v4 3/11/12, v6 1/3 */
	if (v4 ? (out->icmp_type != 3 && out->icmp_type != 11 && out->icmp_type != 12)
	       : (out->icmp_type != 1 && out->icmp_type != 3))
		return body;
	orig = v4 ? (size_t)p[5] * 4 : (size_t)p[4] * 8;
	if (orig == 0) {
		/* pre-4884 routers (RFC 4950 era) put extensions after exactly 128 bytes.
		 * Only a version-2 header whose checksum verifies counts, so a quoted
		 * datagram that happens to hold 0x2_ at byte 128 is not mistaken for one. */
		if (body < 128 + 8 || (p[NRB_PKT_ICMP_HDR + 128] >> 4) != 2 ||
		    nrb_pkt_csum_fold(nrb_pkt_csum_add(0, p + NRB_PKT_ICMP_HDR + 128,
		                                       body - 128)) != 0)
			return body;
		orig = 128;
	}
	if (orig > body || body - orig < 4)
		return body < orig ? body : orig;
	e = p + NRB_PKT_ICMP_HDR + orig;
	if ((e[0] >> 4) != 2)
		return orig;
	out->has_ext = 1;
	/* objects: 16-bit length (incl. the 4-byte header), class, c-type, data */
	for (off = 4; off + 4 <= body - orig; off += olen) {
		olen = (size_t)e[off] << 8 | e[off + 1];
		if (olen < 4 || olen > body - orig - off)
			break;
		if (e[off + 2] != 1 || e[off + 3] != 1)
			continue;
		for (i = 4; i + 4 <= olen && out->mpls_count < NRB_PKT_MAX_MPLS; i += 4) {
			const uint8_t *m = e + off + i;
			struct nrb_pkt_mpls *l = &out->mpls[out->mpls_count++];

			l->label = (uint32_t)m[0] << 12 | (uint32_t)m[1] << 4 | m[2] >> 4;
			l->tc = (m[2] >> 1) & 7;
			l->bottom = m[2] & 1;
			l->ttl = m[3];
		}
	}
	return orig;
}

/* Parse the transport message at b[off..end) for protocol out->proto of family out->af.
 * partial: the message may be cut short (first fragment), so length fields that
 * claim more than is present are accepted.  @return 0, -EBADMSG. */
static int parse_transport(const uint8_t *b, size_t off, size_t end, int partial,
                           struct nrb_pkt_info *out)
{
	size_t len = end - off, doff, i, ulen, qlen;
	const uint8_t *p = b + off;
	uint8_t t;

	out->l4_off = off;
	out->l4_len = len;
	switch (out->proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((out->proto == IPPROTO_ICMP) != (out->af == AF_INET))
			return 0; /* ICMPv4 over IPv6 or the reverse: not ours to decode */
		if (len < NRB_PKT_ICMP_HDR)
			return -EBADMSG;
		t = out->icmp_type = p[0];
		out->icmp_code = p[1];
		out->payload_off = off + NRB_PKT_ICMP_HDR;
		out->payload_len = len - NRB_PKT_ICMP_HDR;
		if ((out->af == AF_INET && (t == 0 || t == 8)) ||
		    (out->af == AF_INET6 && (t == 128 || t == 129))) {
			out->kind = (t == 0 || t == 129) ? NRB_PKT_ECHO_REPLY : NRB_PKT_ECHO_REQUEST;
			out->icmp_id = get16(p + 4);
			out->icmp_seq = get16(p + 6);
			return 0;
		}
		out->err = classify(out->af, t, p[1]);
		if (out->err == NRB_ERR_NONE)
			return 0; /* informational message (MLD, ND, timestamp ...) */
		out->kind = NRB_PKT_ICMP_ERROR;
		if (out->err == NRB_ERR_FRAG_NEEDED)
			out->mtu = get16(p + 6);
		else if (out->err == NRB_ERR_PACKET_TOO_BIG)
			out->mtu = get32(p + 4);
		qlen = icmp_ext(p, len, out);
		parse_quote(p + NRB_PKT_ICMP_HDR, qlen, &out->quote);
		return 0;
	case IPPROTO_TCP:
		if (len < NRB_PKT_TCP_HDR)
			return -EBADMSG;
		doff = (size_t)(p[12] >> 4) * 4;
		if (doff < NRB_PKT_TCP_HDR || doff > len)
			return -EBADMSG;
		out->kind = NRB_PKT_TCP;
		out->sport = get16(p);
		out->dport = get16(p + 2);
		out->tcp_seq = get32(p + 4);
		out->tcp_ack = get32(p + 8);
		out->tcp_flags = p[13];
		out->tcp_window = get16(p + 14);
		/* options: kind 0 ends, kind 1 is one byte, others carry a length >= 2 */
		for (i = NRB_PKT_TCP_HDR; i < doff;) {
			if (p[i] == 0)
				break;
			if (p[i] == 1) {
				i++;
				continue;
			}
			if (doff - i < 2 || p[i + 1] < 2 || p[i + 1] > doff - i)
				return -EBADMSG;
			if (p[i] == 2 && p[i + 1] == 4)
				out->tcp_mss = get16(p + i + 2);
			i += p[i + 1];
		}
		out->payload_off = off + doff;
		out->payload_len = len - doff;
		return 0;
	case IPPROTO_UDP:
		if (len < NRB_PKT_UDP_HDR)
			return -EBADMSG;
		ulen = get16(p + 4);
		if (ulen < NRB_PKT_UDP_HDR || (ulen > len && !partial))
			return -EBADMSG;
		if (ulen > len)
			ulen = len;
		out->kind = NRB_PKT_UDP;
		out->sport = get16(p);
		out->dport = get16(p + 2);
		out->payload_off = off + NRB_PKT_UDP_HDR;
		out->payload_len = ulen - NRB_PKT_UDP_HDR;
		return 0;
	default:
		return 0; /* a protocol we do not decode: kind stays OTHER */
	}
}

int nrb_pkt_parse_ip(const uint8_t *buf, size_t len, struct nrb_pkt_info *out)
{
	struct ipview v;
	int rc;

	if (!buf || !out)
		return -EINVAL;
	memset(out, 0, sizeof *out);
	out->captured_len = len;
	rc = parse_iphdr(buf, len, 0, &v);
	if (rc)
		return rc;
	out->has_ip = 1;
	out->af = v.af;
	out->src = v.src;
	out->dst = v.dst;
	out->ttl = v.ttl;
	out->tos = v.tos;
	out->ip_id = v.id;
	out->dont_frag = v.df;
	out->is_fragment = v.more_frags || v.later_frag;
	out->ip_hdr_len = v.hdr_len;
	out->ip_total_len = v.claimed_len;
	out->proto = v.proto;
	if (v.later_frag) {
		out->l4_off = v.hdr_len;
		out->l4_len = v.end - v.hdr_len;
		return 0;
	}
	return parse_transport(buf, v.hdr_len, v.end, v.more_frags, out);
}

int nrb_pkt_parse_l4(int af, uint8_t proto, const uint8_t *buf, size_t len,
                     struct nrb_pkt_info *out)
{
	if (!buf || !out || (af != AF_INET && af != AF_INET6))
		return -EINVAL;
	memset(out, 0, sizeof *out);
	out->captured_len = len;
	out->af = (uint8_t)af;
	out->proto = proto;
	if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6 && proto != IPPROTO_UDP &&
	    proto != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	if ((proto == IPPROTO_ICMP && af != AF_INET) || (proto == IPPROTO_ICMPV6 && af != AF_INET6))
		return -EINVAL;
	return parse_transport(buf, 0, len, 0, out);
}

int nrb_pkt_parse_recverr(int af, uint8_t proto, const struct sock_extended_err *ee,
                          const struct sockaddr *offender, const struct sockaddr *probe_dst,
                          const uint8_t *data, size_t len, struct nrb_pkt_info *out)
{
	struct nrb_pkt_quote *q;

	if (!ee || !out || (len && !data) || (af != AF_INET && af != AF_INET6))
		return -EINVAL;
	memset(out, 0, sizeof *out);
	if (!((af == AF_INET && ee->ee_origin == SO_EE_ORIGIN_ICMP) ||
	      (af == AF_INET6 && ee->ee_origin == SO_EE_ORIGIN_ICMP6)))
		return -EINVAL;
	out->af = (uint8_t)af;
	out->captured_len = len;
	out->proto = af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	out->icmp_type = ee->ee_type;
	out->icmp_code = ee->ee_code;
	out->err = classify(af, ee->ee_type, ee->ee_code);
	if (out->err == NRB_ERR_NONE)
		return -EBADMSG; /* the kernel only queues errors */
	out->kind = NRB_PKT_ICMP_ERROR;
	if (out->err == NRB_ERR_FRAG_NEEDED || out->err == NRB_ERR_PACKET_TOO_BIG)
		out->mtu = ee->ee_info;
	if (offender && offender->sa_family != AF_UNSPEC)
		nrb_pkt_addr_from_sockaddr(&out->src, offender,
		                           offender->sa_family == AF_INET
		                               ? (socklen_t)sizeof(struct sockaddr_in)
		                               : (socklen_t)sizeof(struct sockaddr_in6));
	q = &out->quote;
	if (proto == IPPROTO_RAW) {
		/* IP_HDRINCL raw sockets get the whole probe back, IP header included */
		parse_quote(data, len, q);
		return 0;
	}
	q->present = 1;
	q->proto = proto;
	q->len = len;
	if (probe_dst)
		nrb_pkt_addr_from_sockaddr(&q->dst, probe_dst,
		                           probe_dst->sa_family == AF_INET
		                               ? (socklen_t)sizeof(struct sockaddr_in)
		                               : (socklen_t)sizeof(struct sockaddr_in6));
	if (data)
		quote_l4(q, data, len);
	return 0;
}

const char *nrb_pkt_icmp_name(int af, uint8_t type, uint8_t code)
{
	static const char *const unreach4[16] = {
		"net unreachable", "host unreachable", "protocol unreachable",
		"port unreachable", "fragmentation needed", "source route failed",
		"destination net unknown", "destination host unknown", "source host isolated",
		"net administratively prohibited", "host administratively prohibited",
		"net unreachable for TOS", "host unreachable for TOS",
		"communication administratively prohibited", "host precedence violation",
		"precedence cutoff in effect"
	};
	static const char *const unreach6[8] = {
		"no route to destination", "communication administratively prohibited",
		"beyond scope of source address", "address unreachable", "port unreachable",
		"source address failed ingress/egress policy", "reject route to destination",
		"error in source routing header"
	};

	if (af == AF_INET) {
		switch (type) {
		case 0: return "echo reply";
		case 3: return code < 16 ? unreach4[code] : "destination unreachable";
		case 4: return "source quench";
		case 5: return "redirect";
		case 8: return "echo request";
		case 11: return code == 1 ? "fragment reassembly time exceeded" : "time exceeded";
		case 12: return "parameter problem";
		default: return "unknown";
		}
	}
	if (af == AF_INET6) {
		switch (type) {
		case 1: return code < 8 ? unreach6[code] : "destination unreachable";
		case 2: return "packet too big";
		case 3: return code == 1 ? "fragment reassembly time exceeded" : "time exceeded";
		case 4: return "parameter problem";
		case 128: return "echo request";
		case 129: return "echo reply";
		default: return "unknown";
		}
	}
	return "unknown";
}

const char *nrb_pkt_err_name(enum nrb_pkt_err err)
{
	switch (err) {
	case NRB_ERR_NONE: return "none";
	case NRB_ERR_TTL_EXCEEDED: return "ttl_exceeded";
	case NRB_ERR_REASSEMBLY: return "reassembly_timeout";
	case NRB_ERR_NET_UNREACH: return "net_unreach";
	case NRB_ERR_HOST_UNREACH: return "host_unreach";
	case NRB_ERR_PROTO_UNREACH: return "proto_unreach";
	case NRB_ERR_PORT_UNREACH: return "port_unreach";
	case NRB_ERR_FRAG_NEEDED: return "frag_needed";
	case NRB_ERR_SRCROUTE_FAILED: return "srcroute_failed";
	case NRB_ERR_ADMIN_PROHIB: return "admin_prohib";
	case NRB_ERR_BEYOND_SCOPE: return "beyond_scope";
	case NRB_ERR_PACKET_TOO_BIG: return "packet_too_big";
	case NRB_ERR_PARAM_PROBLEM: return "param_problem";
	case NRB_ERR_OTHER: return "other";
	}
	return "unknown";
}

static int is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

int nrb_pkt_sig_from_probe(const struct nrb_pkt_probe *p, struct nrb_pkt_sig *sig)
{
	if (!p || !sig)
		return -EINVAL;
	memset(sig, 0, sizeof *sig);
	if (p->ip.dst.af != AF_INET && p->ip.dst.af != AF_INET6)
		return -EINVAL;
	sig->af = p->ip.dst.af;
	sig->proto = p->proto;
	sig->dst = p->ip.dst;
	if (is_icmp(p->proto)) {
		sig->a = p->icmp_id;
		sig->b = p->icmp_seq;
	} else if (p->proto == IPPROTO_UDP) {
		sig->a = p->sport;
		sig->b = p->dport;
	} else if (p->proto == IPPROTO_TCP) {
		sig->a = p->tcp.sport;
		sig->b = p->tcp.dport;
		sig->tcp_seq = p->tcp.seq;
		sig->flags = NRB_SIG_HAS_SEQ;
	} else {
		return -EINVAL;
	}
	return 0;
}

int nrb_pkt_sig_from_reply(const struct nrb_pkt_info *r, struct nrb_pkt_sig *sig)
{
	const struct nrb_pkt_quote *q;

	if (!r || !sig)
		return -EINVAL;
	memset(sig, 0, sizeof *sig);
	sig->af = r->af;
	switch (r->kind) {
	case NRB_PKT_ECHO_REPLY:
		sig->proto = r->proto;
		sig->dst = r->src;
		sig->a = r->icmp_id;
		sig->b = r->icmp_seq;
		return 0;
	case NRB_PKT_ICMP_ERROR:
		q = &r->quote;
		if (!q->present || !q->l4_present)
			return -ENOENT;
		sig->proto = q->proto;
		sig->dst = q->dst;
		sig->af = q->dst.af ? q->dst.af : r->af;
		if (is_icmp(q->proto) && q->icmp_type != (sig->af == AF_INET ? 8 : 128))
			return -ENOENT; /* errors are never sent about anything but our echo */
		if (is_icmp(q->proto)) {
			sig->a = q->icmp_id;
			sig->b = q->icmp_seq;
		} else {
			sig->a = q->sport;
			sig->b = q->dport;
			if (q->proto == IPPROTO_TCP) {
				sig->tcp_seq = q->tcp_seq;
				sig->flags = NRB_SIG_HAS_SEQ;
			}
		}
		return 0;
	case NRB_PKT_TCP:
		sig->proto = IPPROTO_TCP;
		sig->dst = r->src;
		sig->a = r->dport;
		sig->b = r->sport;
		if (r->tcp_flags & NRB_TCP_ACK) {
			/* a SYN occupies one sequence number: the answer acks seq + 1 */
			sig->tcp_seq = r->tcp_ack - 1;
			sig->flags = NRB_SIG_HAS_SEQ;
		}
		return 0;
	case NRB_PKT_UDP:
		sig->proto = IPPROTO_UDP;
		sig->dst = r->src;
		sig->a = r->dport;
		sig->b = r->sport;
		return 0;
	default:
		return -ENOENT;
	}
}

int nrb_pkt_sig_match(const struct nrb_pkt_sig *probe, const struct nrb_pkt_sig *reply)
{
	if (!probe || !reply)
		return 0;
	if (probe->af != reply->af || probe->proto != reply->proto || probe->a != reply->a ||
	    probe->b != reply->b)
		return 0;
	/* a reply whose destination is unknown (recverr without msg_name) matches on ids */
	if (reply->dst.af && !nrb_pkt_addr_equal(&probe->dst, &reply->dst))
		return 0;
	if ((probe->flags & reply->flags & NRB_SIG_HAS_SEQ) && probe->tcp_seq != reply->tcp_seq)
		return 0;
	return 1;
}
