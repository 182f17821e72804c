/* trace and mtr: TTLs in parallel (a trace: up to its window at once) over one constant
 * flow (see netprobe.h). */
#include "probe/netprobe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* Classify an answer: its evidence kind, and whether the destination sent it. */
static const char *reply_kind(int af, const struct nrb_sess_reply *r, int *is_dest,
                              const struct nrb_pkt_addr *dst)
{
	*is_dest = 0;
	switch (r->kind) {
	case NRB_PKT_ECHO_REPLY:
		*is_dest = 1;
		return "echo_reply";
	case NRB_PKT_TCP:
		*is_dest = 1;
		if ((r->tcp_flags & (NRB_TCP_SYN | NRB_TCP_ACK)) == (NRB_TCP_SYN | NRB_TCP_ACK))
			return "syn_ack";
		return (r->tcp_flags & NRB_TCP_RST) ? "rst" : "tcp_other";
	case NRB_PKT_UDP:
		*is_dest = 1;
		return "udp_answer";
	case NRB_PKT_ICMP_ERROR:
		if (r->err != NRB_ERR_TTL_EXCEEDED && nrb_pkt_addr_equal(&r->from, dst))
			*is_dest = 1;
		return nrb_sess_err_kind(af, r->icmp_type, r->icmp_code, r->err);
	default:
		return "other";
	}
}

static int check_trace_req(const struct nrb_trace_req *q, char *err, size_t errlen)
{
	if (q->dst.af != AF_INET && q->dst.af != AF_INET6)
		return nrb_err(err, errlen, EINVAL, "trace: no target address");
	if (q->proto < NRB_PROTO_ICMP || q->proto > NRB_PROTO_TCP)
		return nrb_err(err, errlen, EINVAL, "trace: protocol must be icmp, udp or tcp");
	if (q->proto != NRB_PROTO_ICMP && q->port == 0)
		return nrb_err(err, errlen, EINVAL, "trace: port must be 1..65535");
	if (q->first_ttl < 1 || q->max_ttl < q->first_ttl || q->max_ttl > NRB_TRACE_MAX_TTL)
		return nrb_err(err, errlen, EINVAL, "trace: TTLs must satisfy 1 <= first <= max <= %d",
		               NRB_TRACE_MAX_TTL);
	if (q->timeout_us < 10000 || q->timeout_us > 60000000 ||
	    q->min_timeout_us > q->timeout_us)
		return nrb_err(err, errlen, EINVAL, "trace: timeout must be 10 ms..60 s");
	return 0;
}

static int prepare(struct nrb_sess *s, const struct nrb_trace_req *q, char *err, size_t errlen)
{
	struct nrb_pkt_addr src;
	int rc = nrb_sess_source(s, &q->dst, &src, err, errlen);

	if (rc < 0)
		return rc;
	rc = nrb_sess_prepare(s, q->dst.af, q->proto, err, errlen);
	if (rc < 0)
		return rc;
	if (q->proto == NRB_PROTO_TCP && !nrb_sess_is_raw(s, q->dst.af, NRB_PROTO_TCP))
		return nrb_err(err, errlen, EPERM, "%s",
		               nrb_sess_degraded(s, q->dst.af, NRB_PROTO_TCP));
	return 0;
}

/* ---------------------------------------------------------------------- trace */

/*
 * How long a probe waits (traceroute's -w MAX,HERE,NEAR).  A probe at TTL t waits:
 *  - HERE x the largest RTT of an answer at t itself: the same hop, the same way back;
 *    3 covers that hop's jitter and its ICMP slow path (traceroute's HERE);
 *  - else NEAR x the largest RTT of an answer from a TTL beyond t: that answer crossed
 *    hop t, so hop t's own answer should come sooner, unless its ICMP is generated
 *    slowly or comes back another way; 5 leaves room for both (traceroute uses 10 with a
 *    5 s MAX; the 300 ms floor already covers every path under 60 ms);
 *  - else, with nothing answering at t or beyond, the ceiling (timeout_us).  A fast
 *    nearer hop says nothing about hop t: on a path whose far hops sit 500 ms behind a
 *    fast first hop, a wait learnt from hop 1 lost every far hop.
 * Clamped to [min_timeout_us, timeout_us].  Evidence can only shorten a probe already
 * out (nrb_sess_shorten_ttl), never lengthen it, so a wait is set from what has come
 * back when the probe leaves and cut as answers at its TTL or beyond arrive.
 *
 * One exception keeps a path that goes silent from costing a ceiling per window of
 * probes: once TRACE_GAP TTLs just past the farthest answer have each had a probe wait
 * the whole ceiling unanswered, the probes beyond them wait NEAR x the largest RTT seen
 * (floored).  Any delay before those TTLs would have shown as a late answer from one of
 * them, unless all of them are silent routers, the case mtr's --max-unknown and
 * scamper's gap limit (both 5) give up on; we still probe, with a shorter wait.
 */
enum {
	TRACE_HERE = 3,  /* x RTT of an answer at the probe's own TTL */
	TRACE_NEAR = 5,  /* x RTT of an answer from a farther TTL */
	TRACE_GAP = 5    /* silent TTLs past the farthest answer that end ceiling waits */
};

struct trace_task {
	struct nrb_task t;              /* must be first */
	struct nrb_trace_result *res;   /* caller's result */
	int limit;                      /* highest TTL still of interest */
	int far;                        /* farthest TTL that answered, 0 none */
	uint64_t max_rtt_us;            /* largest RTT seen at any TTL */
	uint64_t rtt_us[NRB_TRACE_MAX_TTL]; /* largest RTT answered, by TTL - 1 */
	uint8_t silent[NRB_TRACE_MAX_TTL];  /* a probe waited the ceiling unanswered */
};

static uint64_t clamp_wait(const struct trace_task *k, uint64_t w)
{
	const struct nrb_trace_req *q = &k->res->req;

	if (w < q->min_timeout_us)
		w = q->min_timeout_us;
	if (w > q->timeout_us)
		w = q->timeout_us;
	return w;
}

/* The last TTL of the gap past the farthest answer (or before the first TTL probed). */
static int gap_end(const struct trace_task *k)
{
	int base = k->far > k->res->req.first_ttl - 1 ? k->far : k->res->req.first_ttl - 1;

	return base + TRACE_GAP;
}

/* Every TTL of the gap had a probe wait the whole ceiling, and TTLs lie beyond it. */
static int tail_silent(const struct trace_task *k)
{
	int end = gap_end(k);

	if (end >= k->res->req.max_ttl)
		return 0;
	for (int ttl = end - TRACE_GAP + 1; ttl <= end; ttl++)
		if (!k->silent[ttl - 1])
			return 0;
	return 1;
}

static uint64_t wait_us(const struct trace_task *k, int ttl)
{
	uint64_t far_rtt = 0;
	int any = 0;

	if (ttl < 1 || ttl > NRB_TRACE_MAX_TTL)
		return k->res->req.timeout_us;
	if (k->res->hops[ttl - 1].received)
		return clamp_wait(k, TRACE_HERE * k->rtt_us[ttl - 1]);
	for (int u = ttl + 1; u <= k->far; u++) {
		if (!k->res->hops[u - 1].received)
			continue;
		any = 1;
		if (k->rtt_us[u - 1] > far_rtt)
			far_rtt = k->rtt_us[u - 1];
	}
	if (any)
		return clamp_wait(k, TRACE_NEAR * far_rtt);
	if (ttl > gap_end(k) && tail_silent(k))
		return clamp_wait(k, TRACE_NEAR * k->max_rtt_us);
	return k->res->req.timeout_us;
}

/* Done when nothing is queued or in flight at or below the limit: every probe there has
 * been answered or has waited its own time.  Probes still waiting for a slot of the
 * trace's window (or for a token) count as queued and keep the trace running. */
static void trace_check(struct trace_task *k)
{
	uint32_t queued = 0;
	int n = nrb_sess_outstanding(k->t.sess, &k->t, k->limit, &queued, NULL);

	if (n == 0 && !queued)
		k->t.done = 1;
}

static int trace_start(struct nrb_task *t)
{
	struct trace_task *k = (struct trace_task *)t;
	const struct nrb_trace_req *q = &k->res->req;
	struct nrb_sess_probe pr;
	int rc;

	memset(&pr, 0, sizeof pr);
	pr.proto = q->proto;
	pr.dst = q->dst;
	pr.dport = q->port;
	pr.timeout_us = q->timeout_us;
	/* TTL-major order: under the global rate cap, the near hops' probes go first and
	 * the destination's distance is known (and the rest cancelled) sooner */
	for (int ttl = q->first_ttl; ttl <= q->max_ttl; ttl++) {
		for (int i = 0; i < q->queries; i++) {
			pr.ttl = (uint8_t)ttl;
			pr.cookie = (uint32_t)(ttl << 8 | i);
			rc = nrb_sess_send(t->sess, t, &pr);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static void trace_reply(struct nrb_task *t, uint32_t cookie, const struct nrb_sess_reply *r)
{
	struct trace_task *k = (struct trace_task *)t;
	struct nrb_trace_result *res = k->res;
	int ttl = (int)(cookie >> 8), is_dest;
	struct nrb_hop *h;
	struct nrb_hop_reply *hr;
	const char *kind;

	if (ttl < 1 || ttl > NRB_TRACE_MAX_TTL)
		return;
	h = &res->hops[ttl - 1];
	h->sent++;
	h->received++;
	kind = reply_kind(res->req.dst.af, r, &is_dest, &res->req.dst);
	if (h->nreplies < NRB_TRACE_MAX_QUERIES) {
		hr = &h->replies[h->nreplies++];
		hr->from = r->from;
		hr->rtt_ms = (double)r->rtt_us / 1000.0;
		hr->kind = kind;
		hr->type = r->icmp_type;
		hr->code = r->icmp_code;
		hr->reply_ttl = r->ttl;
		hr->mtu = r->mtu;
	}
	if (r->rtt_us > k->rtt_us[ttl - 1])
		k->rtt_us[ttl - 1] = r->rtt_us;
	if (r->rtt_us > k->max_rtt_us)
		k->max_rtt_us = r->rtt_us;
	if (ttl > k->far)
		k->far = ttl;
	/* the answer is evidence for its own TTL and every nearer one: the probes there
	 * already out (the first window left before anything answered, with the ceiling)
	 * get the wait it gives them, so silent ones free their window slots early */
	for (int u = res->req.first_ttl; u <= ttl; u++) {
		uint64_t w = wait_us(k, u);

		if (w < res->req.timeout_us)
			(void)nrb_sess_shorten_ttl(t->sess, t, u, u, w);
	}
	if (is_dest) {
		if (!res->reached || ttl < res->reached_ttl) {
			res->reached = 1;
			res->reached_ttl = ttl;
			res->dest_answer = kind;
			res->dest_reply_ttl = r->ttl;
		}
	} else if (r->kind == NRB_PKT_ICMP_ERROR && r->err != NRB_ERR_TTL_EXCEEDED &&
	           r->err != NRB_ERR_FRAG_NEEDED && r->err != NRB_ERR_PACKET_TOO_BIG) {
		/* a router says the path ends here */
		if (!res->has_unreach || ttl < res->unreach.ttl) {
			res->has_unreach = 1;
			memset(&res->unreach, 0, sizeof res->unreach);
			res->unreach.from = r->from;
			res->unreach.type = r->icmp_type;
			res->unreach.code = r->icmp_code;
			res->unreach.kind = kind;
			res->unreach.ttl = ttl;
			res->unreach.reply_ttl = r->ttl;
		}
	} else {
		trace_check(k);
		return;
	}
	if (ttl < k->limit) {
		k->limit = ttl;
		nrb_sess_cancel_above(t->sess, t, ttl);
	}
	/* every probe up to the destination answered: done now, not at the next tick */
	trace_check(k);
}

static void trace_timeout(struct nrb_task *t, uint32_t cookie, uint64_t sent_us, int send_err)
{
	struct trace_task *k = (struct trace_task *)t;
	const struct nrb_trace_req *q = &k->res->req;
	int ttl = (int)(cookie >> 8);

	if (ttl < 1 || ttl > NRB_TRACE_MAX_TTL)
		return;
	if (send_err) {
		k->res->send_errno = -send_err;
	} else {
		k->res->hops[ttl - 1].sent++;
		if (nrb_loop_now(nrb_sess_loop(t->sess)) - sent_us >= q->timeout_us &&
		    !k->silent[ttl - 1]) {
			int was = tail_silent(k);

			k->silent[ttl - 1] = 1;
			/* the gap past the farthest answer is now shown silent: the probes
			 * beyond it already out stop waiting the ceiling too */
			if (!was && tail_silent(k))
				(void)nrb_sess_shorten_ttl(t->sess, t, gap_end(k) + 1, q->max_ttl,
				                           wait_us(k, gap_end(k) + 1));
		}
	}
	trace_check(k);
}

static void trace_finish(struct nrb_task *t)
{
	struct trace_task *k = (struct trace_task *)t;
	struct nrb_trace_result *res = k->res;
	int limit = k->limit, ttl;

	for (ttl = res->req.first_ttl; ttl <= limit; ttl++) {
		struct nrb_hop *h = &res->hops[ttl - 1];

		if (h->received) {
			res->last_ttl = ttl;
			res->last_address = h->replies[h->nreplies - 1].from;
			for (int i = 0; i < h->nreplies; i++)
				if (nrb_pkt_addr_equal(&h->replies[i].from, &res->req.dst) ||
				    !strcmp(h->replies[i].kind, "time_exceeded"))
					res->last_address = h->replies[i].from;
		}
	}
	res->nhops = limit;
	if (res->reached)
		res->stop = "reached";
	else if (res->has_unreach)
		res->stop = "unreachable";
	else if (res->last_ttl == res->req.max_ttl)
		res->stop = "max_ttl";
	else
		res->stop = "silence";
	res->elapsed_us = nrb_loop_now(nrb_sess_loop(t->sess)) - t->started_us;
	/* the wait the hop past the last answer (its silence) was judged on; for a trace
	 * that reached its destination, the destination's own */
	ttl = res->last_ttl < limit ? res->last_ttl + 1 : limit;
	if (ttl < res->req.first_ttl)
		ttl = res->req.first_ttl;
	res->timeout_used_us = wait_us(k, ttl);
}

/* Called as each probe leaves: the wait what has come back so far gives it. */
static uint64_t trace_probe_timeout(struct nrb_task *t, uint32_t cookie)
{
	return wait_us((struct trace_task *)t, (int)(cookie >> 8));
}

static const struct nrb_task_ops trace_ops = {
	"trace", trace_start, trace_reply, trace_timeout, trace_finish, NULL, trace_probe_timeout
};

int nrb_trace_add(struct nrb_sess *s, const struct nrb_trace_req *req,
                  struct nrb_trace_result *res, char *err, size_t errlen)
{
	struct nrb_trace_req q;
	struct trace_task *k;
	int rc;

	if (!s || !req || !res)
		return nrb_err(err, errlen, EINVAL, "trace: missing argument");
	q = *req;
	if (!q.first_ttl)
		q.first_ttl = 1;
	if (!q.max_ttl)
		q.max_ttl = 30;
	if (!q.queries)
		q.queries = 3;
	if (!q.timeout_us)
		q.timeout_us = 2000000;
	if (!q.min_timeout_us)
		q.min_timeout_us = q.timeout_us < 300000 ? q.timeout_us : 300000;
	if (!q.window)
		q.window = NRB_TRACE_DEFAULT_WINDOW;
	if (q.queries < 1 || q.queries > NRB_TRACE_MAX_QUERIES)
		return nrb_err(err, errlen, EINVAL, "trace: queries must be 1..%d",
		               NRB_TRACE_MAX_QUERIES);
	if (q.window < 1 || q.window > NRB_TRACE_MAX_WINDOW)
		return nrb_err(err, errlen, EINVAL, "trace: window must be 1..%d",
		               NRB_TRACE_MAX_WINDOW);
	rc = check_trace_req(&q, err, errlen);
	if (rc < 0)
		return rc;
	memset(res, 0, sizeof *res);
	res->req = q;
	for (int i = 0; i < NRB_TRACE_MAX_TTL; i++)
		res->hops[i].ttl = i + 1;
	rc = prepare(s, &q, err, errlen);
	res->degraded = nrb_sess_degraded(s, q.dst.af, q.proto);
	if (rc < 0)
		return rc;
	k = calloc(1, sizeof *k);
	if (!k)
		return nrb_err(err, errlen, ENOMEM, "trace: out of memory");
	k->t.ops = &trace_ops;
	k->t.max_probes = (uint32_t)(q.queries * (q.max_ttl - q.first_ttl + 1));
	k->t.max_time_us = 3 * q.timeout_us + 10000000;
	/* traceroute -N: the probes TTL-major order puts first go out together, the rest
	 * as earlier ones are answered, expire or are cancelled (destination reached) */
	k->t.window = (uint32_t)q.window;
	k->res = res;
	k->limit = q.max_ttl;
	rc = nrb_sess_add(s, &k->t);
	if (rc < 0) {
		free(k);
		return nrb_err(err, errlen, -rc, "trace: too many probes in one run");
	}
	return 0;
}

/* ------------------------------------------------------------------------ mtr */

struct mtr_task {
	struct nrb_task t;              /* must be first */
	struct nrb_mtr_result *res;     /* caller's result */
	struct nrb_mtr_pace *pace;      /* shared, or &res->pace */
	int limit;                      /* highest TTL probed */
	int round;                      /* rounds sent */
	uint64_t round_timer;           /* next round */
	uint64_t answered[2];           /* TTLs answered (bit ttl-1), by round parity */
};

/* A probe's cookie: its round (0-based) and its TTL. */
#define MTR_COOKIE(round, ttl) (((uint32_t)(round) << 8) | (uint32_t)(ttl))
#define MTR_TTL(cookie) ((int)((cookie) & 0xff))
#define MTR_ROUND(cookie) ((int)((cookie) >> 8))

static int mtr_send_round(struct mtr_task *k)
{
	const struct nrb_trace_req *q = &k->res->req.trace;
	struct nrb_sess_probe pr;
	int rc;

	memset(&pr, 0, sizeof pr);
	pr.proto = q->proto;
	pr.dst = q->dst;
	pr.dport = q->port;
	pr.timeout_us = q->timeout_us;
	k->answered[k->round & 1] = 0;
	for (int ttl = q->first_ttl; ttl <= k->limit; ttl++) {
		pr.ttl = (uint8_t)ttl;
		pr.cookie = MTR_COOKIE(k->round, ttl);
		rc = nrb_sess_send(k->t.sess, &k->t, &pr);
		if (rc < 0)
			return rc;
	}
	k->round++;
	k->res->rounds_done = k->round;
	return 0;
}

/* The TTL of the first hop that missed round `round` (0-based) while a farther hop
 * answered it, among hops that have answered before (a rate limiter, not a silent hop);
 * 0: none. */
static int mtr_gap_in(const struct mtr_task *k, int round)
{
	uint64_t a;
	int top = 0;

	if (round < 0)
		return 0;
	a = k->answered[round & 1];
	for (int ttl = k->limit; ttl >= 1 && !top; ttl--)
		if (a & (UINT64_C(1) << (ttl - 1)))
			top = ttl;
	for (int ttl = k->res->req.trace.first_ttl; ttl < top; ttl++)
		if (!(a & (UINT64_C(1) << (ttl - 1))) && k->res->hops[ttl - 1].received > 0)
			return ttl;
	return 0;
}

/* Before sending the next round: a gap in the last two rounds sent (the last one's
 * farther answers may still be on their way). */
static int mtr_gap(const struct mtr_task *k)
{
	int g = mtr_gap_in(k, k->round - 2);

	return g ? g : mtr_gap_in(k, k->round - 1);
}

/* Like mtr's --max-unknown (5): no probes beyond NRB_MTR_MAX_UNKNOWN silent hops past
 * the farthest hop that has answered, so a path that goes silent does not keep a dozen
 * probes per round waiting out their timeouts.  "Silent" here only means "no answer yet":
 * on a path whose far hops sit behind a delay longer than the interval, the next round
 * leaves before they answer.  So the limit follows the farthest answer both ways: it
 * grows again when answers from beyond it come in (to the destination once known), and
 * only the rounds sent in between miss the far hops; none of their probes is counted
 * lost, each waits the whole timeout. */
static void mtr_trim(struct mtr_task *k)
{
	int top = 0, lim, max = k->res->req.trace.max_ttl;

	if (k->res->dest_ttl) {
		k->limit = k->res->dest_ttl;
		return;
	}
	for (int ttl = 1; ttl <= max; ttl++)
		if (k->res->hops[ttl - 1].received)
			top = ttl;
	lim = top + NRB_MTR_MAX_UNKNOWN;
	k->limit = lim < max ? lim : max;
}

static int64_t mtr_tick(struct nrb_loop *loop, void *arg)
{
	struct mtr_task *k = arg;
	const struct nrb_mtr_req *q = &k->res->req;
	int gap;

	(void)loop;
	if (k->t.done || k->round >= q->rounds)
		goto no_more;
	if (q->slow_interval_us) {
		if (!k->pace->slow && (gap = mtr_gap(k)) > 0) {
			k->pace->slow = 1;
			k->pace->slow_hop = gap;
		}
		if (k->pace->slow && !k->res->slowed_round) {
			if (q->stop_when_slowed) {
				k->res->stopped_round = k->round;
				goto no_more;
			}
			/* the next round is the first slow one, a whole slow interval after the
			 * last fast one */
			k->res->slowed_round = k->round + 1;
			return (int64_t)(q->slow_interval_us - q->interval_us);
		}
	}
	mtr_trim(k);
	if (mtr_send_round(k) < 0 || k->round >= q->rounds)
		goto no_more;
	return (int64_t)(k->res->slowed_round ? q->slow_interval_us : q->interval_us);
no_more:
	k->t.waiting = 0;
	return NRB_NOMORE;
}

static int mtr_start(struct nrb_task *t)
{
	struct mtr_task *k = (struct mtr_task *)t;
	int rc = mtr_send_round(k);

	if (rc < 0)
		return rc;
	if (k->round < k->res->req.rounds &&
	    nrb_loop_timer_add(nrb_sess_loop(t->sess), k->res->req.interval_us, mtr_tick, k,
	                       &k->round_timer) == 0)
		t->waiting = 1;
	return 0;
}

static void mtr_reply(struct nrb_task *t, uint32_t cookie, const struct nrb_sess_reply *r)
{
	struct mtr_task *k = (struct mtr_task *)t;
	struct nrb_mtr_result *res = k->res;
	int ttl = MTR_TTL(cookie), round = MTR_ROUND(cookie), is_dest, i;
	struct nrb_mtr_hop *h;

	if (ttl < 1 || ttl > NRB_TRACE_MAX_TTL)
		return;
	if (round >= k->round - 2) /* the two parities still kept */
		k->answered[round & 1] |= UINT64_C(1) << (ttl - 1);
	h = &res->hops[ttl - 1];
	h->sent++;
	h->received++;
	nrb_rtt_add(&h->rtt, (double)r->rtt_us / 1000.0);
	for (i = 0; i < h->naddrs; i++)
		if (nrb_pkt_addr_equal(&h->addrs[i], &r->from))
			break;
	if (i == h->naddrs && i < NRB_HOP_MAX_ADDRS) {
		h->addrs[i] = r->from;
		h->naddrs++;
	}
	if (i < NRB_HOP_MAX_ADDRS)
		h->addr_count[i]++;
	(void)reply_kind(res->req.trace.dst.af, r, &is_dest, &res->req.trace.dst);
	if (is_dest || (r->kind == NRB_PKT_ICMP_ERROR && r->err != NRB_ERR_TTL_EXCEEDED)) {
		if (is_dest)
			h->dest = 1;
		if (!res->dest_ttl || ttl < res->dest_ttl)
			res->dest_ttl = ttl;
		if (ttl < k->limit) {
			k->limit = ttl;
			nrb_sess_cancel_above(t->sess, t, ttl);
		}
	}
}

static void mtr_timeout(struct nrb_task *t, uint32_t cookie, uint64_t sent_us, int send_err)
{
	struct mtr_task *k = (struct mtr_task *)t;
	int ttl = MTR_TTL(cookie);

	(void)sent_us;
	if (ttl >= 1 && ttl <= NRB_TRACE_MAX_TTL && !send_err)
		k->res->hops[ttl - 1].sent++;
}

static void mtr_finish(struct nrb_task *t)
{
	struct mtr_task *k = (struct mtr_task *)t;
	struct nrb_mtr_result *res = k->res;
	int last = 0;

	(void)nrb_loop_timer_cancel(nrb_sess_loop(t->sess), k->round_timer);
	t->waiting = 0;
	for (int ttl = 1; ttl <= k->limit; ttl++)
		if (res->hops[ttl - 1].received)
			last = ttl;
	/* like mtr: hops up to the destination, or up to the last one that answered */
	res->nhops = res->dest_ttl ? res->dest_ttl : last;
	res->pace = *k->pace;
}

static const struct nrb_task_ops mtr_ops = {
	"mtr", mtr_start, mtr_reply, mtr_timeout, mtr_finish, NULL, NULL
};

int nrb_mtr_add(struct nrb_sess *s, const struct nrb_mtr_req *req, struct nrb_mtr_result *res,
                char *err, size_t errlen)
{
	struct nrb_mtr_req q;
	struct mtr_task *k;
	int rc;

	if (!s || !req || !res)
		return nrb_err(err, errlen, EINVAL, "mtr: missing argument");
	q = *req;
	if (!q.trace.first_ttl)
		q.trace.first_ttl = 1;
	if (!q.trace.max_ttl)
		q.trace.max_ttl = 30;
	if (!q.trace.timeout_us)
		q.trace.timeout_us = 2000000;
	q.trace.queries = 1;
	if (!q.interval_us)
		q.interval_us = 1000000;
	if (q.rounds < 1 || q.rounds > NRB_MTR_MAX_ROUNDS)
		return nrb_err(err, errlen, EINVAL, "mtr: rounds must be 1..%d", NRB_MTR_MAX_ROUNDS);
	if (q.interval_us < 100000 || q.interval_us > 60000000)
		return nrb_err(err, errlen, EINVAL, "mtr: interval must be 100 ms..60 s");
	if (q.slow_interval_us && (q.slow_interval_us <= q.interval_us || q.slow_interval_us > 60000000))
		return nrb_err(err, errlen, EINVAL,
		               "mtr: slow interval must be longer than the interval, at most 60 s");
	rc = check_trace_req(&q.trace, err, errlen);
	if (rc < 0)
		return rc;
	memset(res, 0, sizeof *res);
	res->req = q;
	for (int i = 0; i < NRB_TRACE_MAX_TTL; i++)
		res->hops[i].ttl = i + 1;
	rc = prepare(s, &q.trace, err, errlen);
	res->degraded = nrb_sess_degraded(s, q.trace.dst.af, q.trace.proto);
	if (rc < 0)
		return rc;
	k = calloc(1, sizeof *k);
	if (!k)
		return nrb_err(err, errlen, ENOMEM, "mtr: out of memory");
	k->t.ops = &mtr_ops;
	k->t.max_probes = (uint32_t)(q.rounds * (q.trace.max_ttl - q.trace.first_ttl + 1));
	k->t.max_time_us = (uint64_t)q.rounds * (q.slow_interval_us ? q.slow_interval_us : q.interval_us) +
	                   2 * q.trace.timeout_us + 5000000;
	k->res = res;
	k->pace = q.pace ? q.pace : &res->pace;
	k->limit = q.trace.max_ttl;
	rc = nrb_sess_add(s, &k->t);
	if (rc < 0) {
		free(k);
		return nrb_err(err, errlen, -rc, "mtr: too many probes in one run");
	}
	return 0;
}
