/* ping: ICMP echo as a session task (see netprobe.h). */
#include "probe/netprobe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct ping_task {
	struct nrb_task t;              /* must be first */
	struct nrb_ping_req req;        /* request */
	struct nrb_ping_result *res;    /* result (caller's) */
	struct nrb_pace pace;           /* request interval */
	int ttl_count[256];             /* replies per TTL, for the most common */
};

/* Record an ICMP error as evidence describes it. */
static void keep_err(struct nrb_icmp_err *e, int af, const struct nrb_sess_reply *r)
{
	memset(e, 0, sizeof *e);
	e->from = r->from;
	e->type = r->icmp_type;
	e->code = r->icmp_code;
	e->kind = nrb_sess_err_kind(af, r->icmp_type, r->icmp_code, r->err);
	e->mtu = r->mtu;
	e->reply_ttl = r->ttl;
}

static int ping_start(struct nrb_task *t)
{
	struct ping_task *p = (struct ping_task *)t;
	struct nrb_sess_probe pr;
	int rc;

	memset(&pr, 0, sizeof pr);
	pr.proto = NRB_PROTO_ICMP;
	pr.dst = p->req.dst;
	pr.ttl = (uint8_t)p->req.ttl;
	pr.size = (uint16_t)(p->req.size + NRB_PKT_ICMP_HDR +
	                     (p->req.dst.af == AF_INET ? NRB_PKT_IPV4_HDR : NRB_PKT_IPV6_HDR));
	pr.df = (uint8_t)p->req.df;
	pr.timeout_us = p->req.timeout_us;
	pr.pace = &p->pace;
	for (int i = 1; i <= p->req.count; i++) {
		pr.cookie = (uint32_t)i;
		rc = nrb_sess_send(t->sess, t, &pr);
		if (rc < 0)
			return i > 1 ? 0 : rc;
	}
	return 0;
}

static void ping_reply(struct nrb_task *t, uint32_t cookie, const struct nrb_sess_reply *r)
{
	struct ping_task *p = (struct ping_task *)t;
	struct nrb_ping_result *res = p->res;

	res->sent++;
	if (r->kind == NRB_PKT_ECHO_REPLY) {
		double ms = (double)r->rtt_us / 1000.0;

		res->received++;
		nrb_rtt_add(&res->rtt, ms);
		if (res->nreplies < p->req.count) {
			res->replies[res->nreplies].seq = (int)cookie;
			res->replies[res->nreplies].rtt_ms = ms;
			res->replies[res->nreplies].ttl = r->ttl;
			res->nreplies++;
		}
		if (r->ttl >= 0 && r->ttl < 256)
			p->ttl_count[r->ttl]++;
	} else if (r->kind == NRB_PKT_ICMP_ERROR && res->nerrors < NRB_ERR_KEEP) {
		keep_err(&res->errors[res->nerrors++], p->req.dst.af, r);
	}
}

static void ping_timeout(struct nrb_task *t, uint32_t cookie, uint64_t sent_us, int send_err)
{
	struct ping_task *p = (struct ping_task *)t;

	(void)cookie;
	(void)sent_us;
	if (send_err)
		p->res->send_errno = -send_err;
	else
		p->res->sent++;
}

static void ping_finish(struct nrb_task *t)
{
	struct ping_task *p = (struct ping_task *)t;
	int best = -1, n = 0;

	for (int i = 0; i < 256; i++) {
		if (p->ttl_count[i] > n) {
			n = p->ttl_count[i];
			best = i;
		}
	}
	p->res->reply_ttl = best;
}

static const struct nrb_task_ops ping_ops = {
	"ping", ping_start, ping_reply, ping_timeout, ping_finish, NULL, NULL
};

int nrb_ping_add(struct nrb_sess *s, const struct nrb_ping_req *req,
                 struct nrb_ping_result *res, char *err, size_t errlen)
{
	struct ping_task *p;
	struct nrb_pkt_addr src;
	int rc, maxpl;

	if (!s || !req || !res)
		return nrb_err(err, errlen, EINVAL, "ping: missing argument");
	if (req->dst.af != AF_INET && req->dst.af != AF_INET6)
		return nrb_err(err, errlen, EINVAL, "ping: no target address");
	maxpl = NRB_SESS_MAX_SIZE - NRB_PKT_ICMP_HDR -
	        (req->dst.af == AF_INET ? NRB_PKT_IPV4_HDR : NRB_PKT_IPV6_HDR);
	if (req->count < 1 || req->count > NRB_PING_MAX_COUNT)
		return nrb_err(err, errlen, EINVAL, "ping: count must be 1..%d", NRB_PING_MAX_COUNT);
	if (req->size < 8 || req->size > maxpl)
		return nrb_err(err, errlen, EINVAL, "ping: size must be 8..%d bytes", maxpl);
	if (req->interval_us < 10000 || req->interval_us > 60000000)
		return nrb_err(err, errlen, EINVAL, "ping: interval must be 10 ms..60 s");
	if (req->ttl < 0 || req->ttl > 255)
		return nrb_err(err, errlen, EINVAL, "ping: ttl must be 1..255");
	if (req->timeout_us < 1000 || req->timeout_us > 60000000)
		return nrb_err(err, errlen, EINVAL, "ping: timeout must be 1 ms..60 s");
	rc = nrb_sess_source(s, &req->dst, &src, err, errlen);
	if (rc < 0)
		return rc;
	rc = nrb_sess_prepare(s, req->dst.af, NRB_PROTO_ICMP, err, errlen);
	if (rc < 0)
		return rc;
	memset(res, 0, sizeof *res);
	res->replies = calloc((size_t)req->count, sizeof *res->replies);
	p = calloc(1, sizeof *p);
	if (!p || !res->replies) {
		free(p);
		free(res->replies);
		res->replies = NULL;
		return nrb_err(err, errlen, ENOMEM, "ping: out of memory");
	}
	p->t.ops = &ping_ops;
	p->t.max_probes = (uint32_t)req->count;
	p->t.max_time_us = (uint64_t)req->count * req->interval_us + req->timeout_us + 1000000;
	p->req = *req;
	if (!p->req.ttl)
		p->req.ttl = 64;
	p->res = res;
	res->reply_ttl = -1;
	res->degraded = nrb_sess_degraded(s, req->dst.af, NRB_PROTO_ICMP);
	nrb_pace_init(&p->pace, req->interval_us);
	rc = nrb_sess_add(s, &p->t);
	if (rc < 0) {
		free(p);
		nrb_ping_result_free(res);
		return nrb_err(err, errlen, -rc, "ping: too many probes in one run");
	}
	return 0;
}

void nrb_ping_result_free(struct nrb_ping_result *res)
{
	if (res) {
		free(res->replies);
		res->replies = NULL;
	}
}
