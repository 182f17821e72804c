/* pmtu: path MTU by DF probes in a binary search (see netprobe.h). */
#include "probe/netprobe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct pmtu_task {
	struct nrb_task t;              /* must be first */
	struct nrb_pmtu_req req;        /* request (defaults filled) */
	struct nrb_pmtu_result *res;    /* caller's result */
	int lo;                         /* largest size known to pass (0 none) */
	int hi;                         /* smallest size known not to pass (0 none) */
	int cur;                        /* size being probed */
	int tries_left;                 /* probes left for cur */
};

static int pmtu_send(struct pmtu_task *k)
{
	struct nrb_sess_probe pr;

	memset(&pr, 0, sizeof pr);
	pr.proto = k->req.proto;
	pr.dst = k->req.dst;
	pr.dport = k->req.port;
	pr.ttl = 64;
	pr.size = (uint16_t)k->cur;
	pr.df = 1;
	pr.timeout_us = k->req.timeout_us;
	pr.cookie = (uint32_t)k->cur;
	return nrb_sess_send(k->t.sess, &k->t, &pr);
}

static void log_probe(struct pmtu_task *k, int size, const char *result)
{
	struct nrb_pmtu_result *res = k->res;

	if (res->nprobes < NRB_PMTU_MAX_PROBES) {
		res->probes[res->nprobes].size = size;
		res->probes[res->nprobes].result = result;
		res->nprobes++;
	}
}

/* Pick the next size, or finish. */
static void pmtu_next(struct pmtu_task *k, int suggested)
{
	int next;

	if (k->lo == 0) {
		/* the smallest size was lost too: nothing passes at all */
		k->t.done = 1;
		return;
	}
	if (k->hi && k->hi - k->lo <= 1) {
		k->t.done = 1;
		return;
	}
	if (!k->hi) {
		next = k->req.max_size; /* after the small one: try the largest */
		if (next <= k->lo) {
			k->t.done = 1;
			return;
		}
	} else if (suggested > k->lo && suggested < k->hi) {
		next = suggested;      /* a router told us its MTU: try exactly that */
	} else {
		next = k->lo + (k->hi - k->lo) / 2;
	}
	k->cur = next;
	k->tries_left = k->req.tries;
	if (pmtu_send(k) < 0)
		k->t.done = 1;
}

static int pmtu_start(struct nrb_task *t)
{
	struct pmtu_task *k = (struct pmtu_task *)t;

	k->cur = k->req.min_size;
	k->tries_left = k->req.tries;
	return pmtu_send(k);
}

static void pmtu_reply(struct nrb_task *t, uint32_t cookie, const struct nrb_sess_reply *r)
{
	struct pmtu_task *k = (struct pmtu_task *)t;
	struct nrb_pmtu_result *res = k->res;
	int size = (int)cookie;

	if (size != k->cur)
		return; /* a late answer to an earlier size */
	if (r->kind == NRB_PKT_ICMP_ERROR &&
	    (r->err == NRB_ERR_FRAG_NEEDED || r->err == NRB_ERR_PACKET_TOO_BIG)) {
		log_probe(k, size, "frag_needed");
		if (!res->has_reported || r->mtu < res->reported_mtu) {
			res->has_reported = 1;
			res->reported_from = r->from;
			res->reported_mtu = r->mtu;
			res->reported_ttl = r->ttl;
		}
		if (!k->hi || size < k->hi)
			k->hi = size;
		pmtu_next(k, (int)r->mtu);
		return;
	}
	if (r->kind == NRB_PKT_ICMP_ERROR && r->err == NRB_ERR_TTL_EXCEEDED) {
		log_probe(k, size, "lost");
		t->done = 1;
		return;
	}
	/* an echo reply, port unreachable from the target, a UDP answer: it got there */
	log_probe(k, size, "passed");
	if (size > k->lo)
		k->lo = size;
	pmtu_next(k, 0);
}

static void pmtu_timeout(struct nrb_task *t, uint32_t cookie, uint64_t sent_us, int send_err)
{
	struct pmtu_task *k = (struct pmtu_task *)t;
	int size = (int)cookie;

	(void)sent_us;
	if (size != k->cur)
		return;
	if (send_err == -EMSGSIZE) {
		log_probe(k, size, "too_big_local");
		if (!k->hi || size < k->hi)
			k->hi = size;
		pmtu_next(k, 0);
		return;
	}
	if (send_err) {
		log_probe(k, size, "error");
		t->done = 1;
		return;
	}
	if (--k->tries_left > 0) {
		if (pmtu_send(k) < 0)
			t->done = 1;
		return;
	}
	log_probe(k, size, "lost");
	if (!k->res->smallest_lost || size < k->res->smallest_lost)
		k->res->smallest_lost = size;
	if (!k->hi || size < k->hi)
		k->hi = size;
	pmtu_next(k, 0);
}

static void pmtu_finish(struct nrb_task *t)
{
	struct pmtu_task *k = (struct pmtu_task *)t;
	struct nrb_pmtu_result *res = k->res;

	res->path_mtu = k->lo;
	if (!k->lo)
		res->status = "no_reply";
	else if (res->has_reported)
		res->status = "frag_needed";
	else if (res->smallest_lost)
		res->status = "blackhole";
	else
		res->status = "ok";
}

static const struct nrb_task_ops pmtu_ops = {
	"pmtu", pmtu_start, pmtu_reply, pmtu_timeout, pmtu_finish, NULL, NULL
};

int nrb_pmtu_add(struct nrb_sess *s, const struct nrb_pmtu_req *req,
                 struct nrb_pmtu_result *res, char *err, size_t errlen)
{
	struct nrb_pmtu_req q;
	struct nrb_pkt_addr src;
	struct pmtu_task *k;
	int rc, floor, mtu;

	if (!s || !req || !res)
		return nrb_err(err, errlen, EINVAL, "pmtu: missing argument");
	q = *req;
	if (q.dst.af != AF_INET && q.dst.af != AF_INET6)
		return nrb_err(err, errlen, EINVAL, "pmtu: no target address");
	if (!q.proto)
		q.proto = NRB_PROTO_ICMP;
	if (q.proto == NRB_PROTO_TCP)
		return nrb_err(err, errlen, EINVAL, "pmtu: protocol must be icmp or udp");
	if (q.proto == NRB_PROTO_UDP && q.port == 0)
		return nrb_err(err, errlen, EINVAL, "pmtu: port must be 1..65535");
	floor = q.dst.af == AF_INET ? 68 : 1280;
	if (!q.min_size)
		q.min_size = floor;
	if (!q.tries)
		q.tries = 2;
	if (!q.timeout_us)
		q.timeout_us = 1000000;
	rc = nrb_sess_source(s, &q.dst, &src, err, errlen);
	if (rc < 0)
		return rc;
	mtu = nrb_sess_local_mtu(s, &q.dst);
	if (!q.max_size)
		q.max_size = mtu > 0 ? mtu : 1500;
	if (q.min_size < floor || q.max_size < q.min_size || q.max_size > NRB_SESS_MAX_SIZE)
		return nrb_err(err, errlen, EINVAL, "pmtu: sizes must satisfy %d <= min <= max <= %d",
		               floor, NRB_SESS_MAX_SIZE);
	if (q.tries < 1 || q.tries > 5)
		return nrb_err(err, errlen, EINVAL, "pmtu: tries must be 1..5");
	if (q.timeout_us < 10000 || q.timeout_us > 30000000)
		return nrb_err(err, errlen, EINVAL, "pmtu: timeout must be 10 ms..30 s");
	rc = nrb_sess_prepare(s, q.dst.af, q.proto, err, errlen);
	if (rc < 0)
		return rc;
	memset(res, 0, sizeof *res);
	res->local_mtu = mtu > 0 ? mtu : q.max_size;
	res->degraded = nrb_sess_degraded(s, q.dst.af, q.proto);
	k = calloc(1, sizeof *k);
	if (!k)
		return nrb_err(err, errlen, ENOMEM, "pmtu: out of memory");
	k->t.ops = &pmtu_ops;
	k->t.max_probes = NRB_PMTU_MAX_PROBES * 5;
	k->t.max_time_us = 40 * q.timeout_us * (uint64_t)q.tries;
	k->req = q;
	k->res = res;
	rc = nrb_sess_add(s, &k->t);
	if (rc < 0) {
		free(k);
		return nrb_err(err, errlen, -rc, "pmtu: too many probes in one run");
	}
	return 0;
}
