/*
 * capture/findings: turning a finished analysis into the findings the verdict rules read
 * (see capture.h).  Findings about the analysis itself (truncated file, full flow table)
 * come first; then three passes, problems first, so the cap on their number never drops
 * a problem in favour of context.
 */
#include "capture/capture_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

struct fctx {
	struct nrb_cap_result *r;     /* the result being completed */
	enum nrb_cap_severity want;   /* severity made in this pass */
};

static void add(struct fctx *x, enum nrb_cap_severity sev, const char *kind, long conn,
                long udp, long icmp, int hop, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

static void add(struct fctx *x, enum nrb_cap_severity sev, const char *kind, long conn,
                long udp, long icmp, int hop, const char *fmt, ...)
{
	struct nrb_cap_finding *f;
	va_list ap;

	if (sev != x->want)
		return;
	if (x->r->n_findings >= NRB_CAP_MAX_FINDINGS) {
		x->r->stats.findings_dropped++;
		return;
	}
	f = &x->r->findings[x->r->n_findings++];
	f->severity = sev;
	f->kind = kind;
	f->conn = conn;
	f->udp = udp;
	f->icmp = icmp;
	f->hop = hop;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof f->text, fmt, ap);
	va_end(ap);
}

/* "192.0.2.2:80" or "[2001:db8::2]:80" */
static const char *ep(const struct nrb_pkt_addr *a, uint16_t port, char *buf, size_t len)
{
	char ab[64];

	nrb_pkt_addr_to_string(a, ab, sizeof ab);
	if (a->af == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ab, port);
	else
		snprintf(buf, len, "%s:%u", ab, port);
	return buf;
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_ICMP: return "ICMP";
	case IPPROTO_ICMPV6: return "ICMPv6";
	default: return "IP";
	}
}

static const char *icmp_kind(enum nrb_pkt_err e)
{
	switch (e) {
	case NRB_ERR_TTL_EXCEEDED: return "icmp_ttl_exceeded";
	case NRB_ERR_REASSEMBLY: return "icmp_reassembly";
	case NRB_ERR_NET_UNREACH: return "icmp_net_unreach";
	case NRB_ERR_HOST_UNREACH: return "icmp_host_unreach";
	case NRB_ERR_PROTO_UNREACH: return "icmp_proto_unreach";
	case NRB_ERR_PORT_UNREACH: return "icmp_port_unreach";
	case NRB_ERR_FRAG_NEEDED: return "icmp_frag_needed";
	case NRB_ERR_SRCROUTE_FAILED: return "icmp_srcroute_failed";
	case NRB_ERR_ADMIN_PROHIB: return "icmp_admin_prohib";
	case NRB_ERR_BEYOND_SCOPE: return "icmp_beyond_scope";
	case NRB_ERR_PACKET_TOO_BIG: return "icmp_packet_too_big";
	case NRB_ERR_PARAM_PROBLEM: return "icmp_param_problem";
	default: return "icmp_other";
	}
}

static enum nrb_cap_severity icmp_severity(enum nrb_pkt_err e)
{
	switch (e) {
	case NRB_ERR_TTL_EXCEEDED:
	case NRB_ERR_FRAG_NEEDED:
	case NRB_ERR_PACKET_TOO_BIG:
		return NRB_CAP_INFO;
	case NRB_ERR_OTHER:
	case NRB_ERR_REASSEMBLY:
	case NRB_ERR_PARAM_PROBLEM:
		return NRB_CAP_WARNING;
	default:
		return NRB_CAP_PROBLEM;
	}
}

/* The provenance finding of a RST or an ICMP error claiming to be from an endpoint. */
static void prov_finding(struct fctx *x, const struct nrb_cap_provenance *p, const char *what,
                         const char *claimed, const char *flow, long conn, long icmp)
{
	const char *k_inj = !strcmp(what, "RST") ? "rst_injected" : "icmp_injected";
	const char *k_gen = !strcmp(what, "RST") ? "rst_genuine" : "icmp_genuine";
	const char *k_unk = !strcmp(what, "RST") ? "rst_unverified" : "icmp_unverified";
	const char *why = p->n_reasons ? p->reasons[0] : "";
	const char *why2 = p->n_reasons > 1 ? p->reasons[1] : "";
	const char *sep = p->n_reasons > 1 ? "; " : "";

	if (p->origin == NRB_ORIGIN_INJECTED)
		add(x, NRB_CAP_PROBLEM, k_inj, conn, -1, icmp, p->hop,
		    "%s claiming to be from %s (%s) was injected by a device about hop %d (TTL %u vs genuine %d): %s%s%s",
		    what, claimed, flow, p->hop, p->ttl, p->genuine_ttl, why, sep, why2);
	else if (p->origin == NRB_ORIGIN_GENUINE)
		add(x, NRB_CAP_INFO, k_gen, conn, -1, icmp, p->hop,
		    "%s from %s (%s) was sent by the server: TTL %u vs genuine %d (%s confidence)",
		    what, claimed, flow, p->ttl, p->genuine_ttl, nrb_cap_confidence_name(p->confidence));
	else
		add(x, NRB_CAP_WARNING, k_unk, conn, -1, icmp, p->hop,
		    "%s from %s (%s) could not be verified: %s%s%s", what, claimed, flow, why, sep, why2);
}

static void conn_findings(struct fctx *x, size_t i)
{
	const struct nrb_cap_conn *c = &x->r->conns[i];
	const struct nrb_cap_side *o = &c->orig, *s = &c->resp;
	char a[72], b[72], flow[160];
	long ci = (long)i;

	ep(&o->addr, o->port, a, sizeof a);
	ep(&s->addr, s->port, b, sizeof b);
	snprintf(flow, sizeof flow, "TCP %s -> %s", a, b);
	switch (c->state) {
	case NRB_CONN_S0:
	case NRB_CONN_SH:
		if (c->icmp_count && c->icmp_first >= 0) {
			const struct nrb_cap_icmp *e = &x->r->icmp[c->icmp_first];
			char sb[64];

			add(x, NRB_CAP_PROBLEM, "syn_icmp", ci, -1, c->icmp_first, e->hop,
			    "SYN from %s to %s answered only by ICMP %s (type %u code %u) from %s (about hop %d)",
			    a, b, nrb_pkt_icmp_name(e->af, e->type, e->code), e->type, e->code,
			    nrb_pkt_addr_to_string(&e->sender, sb, sizeof sb), e->hop);
		} else {
			add(x, NRB_CAP_PROBLEM, "syn_unanswered", ci, -1, -1, -1,
			    "SYN from %s to %s seen leaving %u time(s) over %.1f s, nothing came back",
			    a, b, o->syns, (double)(c->last_us - c->first_us) / 1e6);
		}
		break;
	case NRB_CONN_REJ:
		add(x, NRB_CAP_PROBLEM, "rejected", ci, -1, -1, c->rst ? c->rst->hop : -1,
		    "SYN from %s to %s answered by a RST (TTL %u) after %.3f ms: connection refused",
		    a, b, c->rst ? c->rst->ttl : 0,
		    c->rst && c->rst->delay_us >= 0 ? (double)c->rst->delay_us / 1000.0 : 0.0);
		break;
	case NRB_CONN_RSTR:
	case NRB_CONN_RSTRH:
		add(x, NRB_CAP_WARNING, "reset_by_responder", ci, -1, -1, c->rst ? c->rst->hop : -1,
		    "%s reset the connection from %s after %llu/%llu payload bytes",
		    b, a, (unsigned long long)o->payload_bytes, (unsigned long long)s->payload_bytes);
		break;
	case NRB_CONN_RSTO:
	case NRB_CONN_RSTOS0:
		add(x, NRB_CAP_INFO, "reset_by_originator", ci, -1, -1, -1,
		    "%s reset its connection to %s (%s)", a, b, nrb_cap_state_desc(c->state));
		break;
	case NRB_CONN_S1:
	case NRB_CONN_SF:
	case NRB_CONN_S2:
	case NRB_CONN_S3:
		add(x, NRB_CAP_INFO, "established", ci, -1, -1, -1,
		    "%s -> %s established (%s), handshake RTT %.3f ms, MSS %u/%u, %u/%u retransmissions",
		    a, b, nrb_cap_state_name(c->state),
		    c->handshake_rtt_us >= 0 ? (double)c->handshake_rtt_us / 1000.0 : -1.0,
		    o->mss, s->mss, o->retrans, s->retrans);
		break;
	default:
		add(x, NRB_CAP_INFO, "conn_state", ci, -1, -1, -1, "%s -> %s: %s (%s)", a, b,
		    nrb_cap_state_name(c->state), nrb_cap_state_desc(c->state));
		break;
	}
	if (c->rst && (c->reset_by == NRB_CAP_RESP || c->rst->origin == NRB_ORIGIN_INJECTED)) {
		const struct nrb_cap_side *rs = c->reset_by == NRB_CAP_RESP ? s : o;
		char rb[72];

		prov_finding(x, c->rst, "RST", ep(&rs->addr, rs->port, rb, sizeof rb), flow, ci, -1);
	}
	if (c->large_loss) {
		const struct nrb_cap_side *ls = c->large_loss == NRB_CAP_ORIG ? o : s;

		add(x, NRB_CAP_PROBLEM, "large_packet_loss", ci, -1, -1, -1,
		    "full-size segments (>= %u bytes; %u sent, %u retransmissions) from %s were never acknowledged while small packets passed, and no ICMP fragmentation-needed came back: PMTU blackhole (%s)",
		    c->large_threshold, ls->large_segments, ls->large_retrans,
		    c->large_loss == NRB_CAP_ORIG ? a : b, flow);
	}
}

/* Is ICMP error i the same (sender, type, code, quoted flow) as an earlier one already
 * reported?  Checked against findings only, so the cost stays bounded. */
static int icmp_dup(const struct fctx *x, size_t i)
{
	const struct nrb_cap_icmp *e = &x->r->icmp[i], *f;
	size_t k;

	for (k = 0; k < x->r->n_findings; k++) {
		if (x->r->findings[k].icmp < 0 || !strncmp(x->r->findings[k].kind, "icmp_inj", 8) ||
		    !strncmp(x->r->findings[k].kind, "icmp_gen", 8) ||
		    !strncmp(x->r->findings[k].kind, "icmp_unv", 8) ||
		    !strcmp(x->r->findings[k].kind, "syn_icmp"))
			continue;
		f = &x->r->icmp[x->r->findings[k].icmp];
		if (f->type == e->type && f->code == e->code && nrb_pkt_addr_equal(&f->sender, &e->sender) &&
		    f->quote.proto == e->quote.proto && nrb_pkt_addr_equal(&f->quote.dst, &e->quote.dst) &&
		    f->quote.dport == e->quote.dport)
			return 1;
	}
	return 0;
}

static void icmp_findings(struct fctx *x, size_t i)
{
	const struct nrb_cap_icmp *e = &x->r->icmp[i];
	const struct nrb_pkt_quote *q = &e->quote;
	enum nrb_cap_severity sev = icmp_severity(e->err);
	char sb[64], a[72], b[72], flow[160], mtu[48] = "";

	nrb_pkt_addr_to_string(&e->sender, sb, sizeof sb);
	if (q->present && q->l4_present && (q->proto == IPPROTO_TCP || q->proto == IPPROTO_UDP))
		snprintf(flow, sizeof flow, "%s %s -> %s", proto_name(q->proto),
			 ep(&q->src, q->sport, a, sizeof a), ep(&q->dst, q->dport, b, sizeof b));
	else if (q->present)
		snprintf(flow, sizeof flow, "%s %s -> %s", proto_name(q->proto),
			 nrb_pkt_addr_to_string(&q->src, a, sizeof a),
			 nrb_pkt_addr_to_string(&q->dst, b, sizeof b));
	else
		snprintf(flow, sizeof flow, "an unquoted packet");
	if (e->mtu)
		snprintf(mtu, sizeof mtu, ", MTU %u", e->mtu);
	if (sev == x->want && !icmp_dup(x, i))
		add(x, sev, icmp_kind(e->err), e->conn, e->udp, (long)i, e->hop,
		    "ICMP %s (type %u code %u%s) from %s%s (TTL %u, about hop %d) about %s",
		    nrb_pkt_icmp_name(e->af, e->type, e->code), e->type, e->code, mtu, sb,
		    e->from_target ? ", the destination itself" : "", e->ttl, e->hop, flow);
	if (e->from_target)
		prov_finding(x, &e->prov, "ICMP", sb, flow, e->conn, (long)i);
}

static void udp_findings(struct fctx *x, size_t i)
{
	const struct nrb_cap_udp *u = &x->r->udp[i];
	char a[72], b[72];

	ep(&u->client, u->client_port, a, sizeof a);
	ep(&u->server, u->server_port, b, sizeof b);
	if (u->responses)
		add(x, NRB_CAP_INFO, "udp_answered", -1, (long)i, -1, -1,
		    "UDP %s -> %s answered: %llu request(s), %llu response(s), first after %.3f ms (TTL %u)",
		    a, b, (unsigned long long)u->requests, (unsigned long long)u->responses,
		    (double)u->rtt_us / 1000.0, u->server_ttl);
	else if (!u->icmp_count)
		add(x, NRB_CAP_WARNING, "udp_unanswered", -1, (long)i, -1, -1,
		    "%llu UDP datagram(s) from %s to %s, no response and no ICMP error",
		    (unsigned long long)u->requests, a, b);
}

static void stats_findings(struct fctx *x)
{
	const struct nrb_cap_stats *st = &x->r->stats;

	if (x->r->truncated)
		add(x, NRB_CAP_WARNING, "capture_truncated", -1, -1, -1, -1,
		    "the capture file is truncated or corrupt (%s): only the first %llu packets were analysed",
		    x->r->read_error, (unsigned long long)st->packets);
	if (!st->packets)
		add(x, NRB_CAP_WARNING, "empty_capture", -1, -1, -1, -1, "the capture holds no packets");
	else if (!st->ip_packets)
		add(x, NRB_CAP_WARNING, "no_ip", -1, -1, -1, -1,
		    "none of the %llu packets is IPv4 or IPv6", (unsigned long long)st->packets);
	if (st->flows_dropped)
		add(x, NRB_CAP_WARNING, "flow_limit", -1, -1, -1, -1,
		    "more than %zu flows: %llu packets of further flows were not analysed",
		    x->r->opts.max_flows, (unsigned long long)st->flows_dropped);
	if (st->malformed)
		add(x, NRB_CAP_WARNING, "malformed_packets", -1, -1, -1, -1,
		    "%llu packets had malformed or truncated headers and were not analysed",
		    (unsigned long long)st->malformed);
	if (st->snaplen_cut)
		add(x, NRB_CAP_INFO, "snaplen_cut", -1, -1, -1, -1,
		    "%llu packets were cut by the capture's snaplen: headers analysed, sizes taken from the IP header",
		    (unsigned long long)st->snaplen_cut);
	if (st->icmp_dropped)
		add(x, NRB_CAP_WARNING, "icmp_limit", -1, -1, -1, -1,
		    "%llu ICMP errors beyond the first %d were counted but not listed",
		    (unsigned long long)st->icmp_dropped, NRB_CAP_MAX_ICMP);
	if (x->r->opts.target.af && st->ip_packets && st->filtered == st->ip_packets)
		add(x, NRB_CAP_WARNING, "target_absent", -1, -1, -1, -1,
		    "no packet in the capture involves the requested target/port");
}

int nrb_cap_build_findings(struct nrb_cap_result *r)
{
	struct fctx x = {r, NRB_CAP_PROBLEM};
	int pass;
	size_t i;

	r->findings = calloc(NRB_CAP_MAX_FINDINGS, sizeof *r->findings);
	if (!r->findings)
		return -ENOMEM;
	/* what limits the analysis itself comes first: a capped list must still say that
	 * the capture was truncated or the flow table full */
	for (pass = 0; pass < 3; pass++) {
		x.want = pass == 0 ? NRB_CAP_PROBLEM : pass == 1 ? NRB_CAP_WARNING : NRB_CAP_INFO;
		stats_findings(&x);
	}
	for (pass = 0; pass < 3; pass++) {
		x.want = pass == 0 ? NRB_CAP_PROBLEM : pass == 1 ? NRB_CAP_WARNING : NRB_CAP_INFO;
		for (i = 0; i < r->n_conns; i++)
			conn_findings(&x, i);
		for (i = 0; i < r->n_icmp; i++)
			icmp_findings(&x, i);
		for (i = 0; i < r->n_udp; i++)
			udp_findings(&x, i);
	}
	return 0;
}
