/*
 * pmtu: path MTU by DF probes (see netprobe.h).
 *
 * The search runs in rounds.  Each round sends several sizes at once, each size `tries`
 * times, and waits until every probe is answered or timed out, so a round costs at most
 * one timeout however many sizes it tries.  A path MTU is monotonic (a size passes, every
 * smaller size would too), so after a round:
 *   lo = the largest size that ever passed, hi = the smallest size above lo that did not
 * (lost, a router's "fragmentation needed"/"packet too big", or too big for our own
 * interface).  A size that was lost below a size that passed was lost at random, not for
 * its size; it is counted (random_losses) and otherwise ignored.  The next round spreads
 * its sizes over (lo, hi); a router's reported MTU is tried first.
 *
 * When the search ends with lo and hi = lo + 1 and hi was merely lost, a blackhole is not
 * yet proved: random loss on the path can swallow every copy of one size.  A last round
 * confirms and locates at once: more copies of hi and of lo at full TTL, and, for every
 * TTL up to the target's distance, hi-sized copies and one lo-sized probe.  Any copy of hi
 * that passes sends the search on.  Otherwise the last TTL whose hi-sized probe drew a
 * "time exceeded" is the last hop that still carries full-size packets: the device the
 * blackhole is at or just behind (the next TTL, reached by the small probe, is the device
 * beyond the narrow link).
 */
#include "probe/netprobe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

enum {
	WIDTH_ICMP = 6,       /* sizes per search round (ICMP echo: replies are not rate limited) */
	WIDTH_UDP = 2,        /* UDP: the target rate-limits its port unreachables (~1/s, burst 6) */
	MAX_ROUNDS = 12,      /* search rounds; 6 sizes a round settle 1432 sizes in 4 */
	CONFIRM_COPIES = 3,   /* extra copies of hi in the last round */
	LOCATE_SLACK = 2      /* TTLs beyond the target's estimated distance */
};

/* cookie: size (16 bits) | ttl (8 bits) << 16 | round (8 bits) << 24 */
#define COOKIE(size, ttl, round) ((uint32_t)(size) | (uint32_t)(ttl) << 16 | (uint32_t)(round) << 24)
#define C_SIZE(c) ((int)((c) & 0xffff))
#define C_TTL(c) ((int)(((c) >> 16) & 0xff))
#define C_ROUND(c) ((int)((c) >> 24))

struct size_slot {
	int size;
	int passed, lost, frag, local; /* copies with each outcome */
};

enum hop_mark { H_NONE = 0, H_ROUTER, H_TARGET };

struct hop_seen {
	enum hop_mark big, small;      /* who answered the big/small probe at this TTL */
	struct nrb_pkt_addr big_from;  /* who answered the big probe */
	struct nrb_pkt_addr small_from;/* who answered the small probe */
};

struct pmtu_task {
	struct nrb_task t;              /* must be first */
	struct nrb_pmtu_req req;        /* request (defaults filled) */
	struct nrb_pmtu_result *res;    /* caller's result */
	int width;                      /* sizes per search round */
	int lo;                         /* largest size known to pass (0 none) */
	int hi;                         /* smallest size above lo known not to pass (0 none) */
	int hi_frag;                    /* hi is known from an ICMP error / local MTU, not loss */
	int suggested;                  /* an MTU a router reported, to try next (0 none) */
	int round;                      /* current round, 1-based */
	int pending;                    /* probes of this round not settled */
	int final;                      /* this round confirms and locates */
	int dist;                       /* the target's distance estimated from reply TTLs */
	struct size_slot slot[WIDTH_ICMP + 2];
	int nslots;
	struct hop_seen hops[NRB_PMTU_MAX_TTL + 1];
	int nttl;                       /* TTLs probed in the final round */
};

static int pmtu_send(struct pmtu_task *k, int size, int ttl)
{
	struct nrb_sess_probe pr;
	int rc;

	memset(&pr, 0, sizeof pr);
	pr.proto = k->req.proto;
	pr.dst = k->req.dst;
	pr.dport = k->req.port;
	pr.ttl = (uint8_t)(ttl ? ttl : 64);
	pr.size = (uint16_t)size;
	pr.df = 1;
	pr.timeout_us = k->req.timeout_us;
	pr.cookie = COOKIE(size, ttl, k->round);
	rc = nrb_sess_send(k->t.sess, &k->t, &pr);
	if (rc == 0)
		k->pending++;
	return rc;
}

static void log_probe(struct pmtu_task *k, int size, const char *result)
{
	struct nrb_pmtu_result *res = k->res;

	if (res->nprobes < NRB_PMTU_MAX_PROBES) {
		res->probes[res->nprobes].size = size;
		res->probes[res->nprobes].result = result;
		res->probes[res->nprobes].round = k->round;
		res->nprobes++;
	}
}

static struct size_slot *slot_of(struct pmtu_task *k, int size)
{
	for (int i = 0; i < k->nslots; i++)
		if (k->slot[i].size == size)
			return &k->slot[i];
	return NULL;
}

static int add_slot(struct pmtu_task *k, int size)
{
	if (size < k->req.min_size || size > k->req.max_size || slot_of(k, size) ||
	    k->nslots >= (int)(sizeof k->slot / sizeof k->slot[0]))
		return 0;
	memset(&k->slot[k->nslots], 0, sizeof k->slot[0]);
	k->slot[k->nslots++].size = size;
	return 1;
}

/* Send every slot `copies` times at full TTL.  @return 0 or -1 (nothing could be sent). */
static int send_slots(struct pmtu_task *k, int copies)
{
	for (int i = 0; i < k->nslots; i++)
		for (int c = 0; c < copies; c++)
			if (pmtu_send(k, k->slot[i].size, 0) < 0)
				return k->pending ? 0 : -1;
	return 0;
}

/* Start a search round over (lo, hi). */
static void search_round(struct pmtu_task *k)
{
	int a, b, n;

	k->round++;
	k->nslots = 0;
	k->final = 0;
	if (k->round == 1) {
		/* the smallest (does anything pass at all) and the largest, then spread */
		add_slot(k, k->req.min_size);
		add_slot(k, k->req.max_size);
		a = k->req.min_size;
		b = k->req.max_size;
	} else {
		a = k->lo ? k->lo : k->req.min_size - 1;
		b = k->hi ? k->hi : k->req.max_size + 1;
		if (k->suggested > a && k->suggested < b)
			add_slot(k, k->suggested); /* a router told us its MTU: try exactly that */
		/* the ends of an open interval first: without them the round cannot close it */
		if (!k->hi)
			add_slot(k, k->req.max_size);
		if (!k->lo)
			add_slot(k, k->req.min_size);
	}
	k->suggested = 0;
	n = b - a - 1; /* sizes strictly between */
	if (n <= k->width - k->nslots) {
		for (int s = a + 1; s < b; s++)
			add_slot(k, s);
	} else {
		int want = k->width - k->nslots;

		for (int i = 1; i <= want; i++)
			add_slot(k, a + (int)((int64_t)(b - a) * i / (want + 1)));
	}
	if (!k->nslots || send_slots(k, k->req.tries) < 0)
		k->t.done = 1;
}

/* The final round: confirm hi is lost (not just unlucky) and find where. */
static void final_round(struct pmtu_task *k)
{
	int maxttl;

	k->round++;
	k->final = 1;
	k->nslots = 0;
	add_slot(k, k->hi);
	add_slot(k, k->lo);
	memset(k->hops, 0, sizeof k->hops);
	maxttl = k->dist > 0 ? k->dist + LOCATE_SLACK : k->req.max_ttl;
	if (maxttl > k->req.max_ttl)
		maxttl = k->req.max_ttl;
	k->nttl = maxttl;
	if (pmtu_send(k, k->lo, 0) < 0)
		goto fail;
	for (int c = 0; c < CONFIRM_COPIES; c++)
		if (pmtu_send(k, k->hi, 0) < 0)
			goto fail;
	for (int ttl = 1; ttl <= maxttl; ttl++) {
		for (int c = 0; c < k->req.tries; c++)
			if (pmtu_send(k, k->hi, ttl) < 0)
				goto fail;
		if (pmtu_send(k, k->lo, ttl) < 0)
			goto fail;
	}
	return;
fail:
	if (!k->pending)
		k->t.done = 1;
	/* else: judge what was sent when it settles */
}

/* Initial TTLs replies commonly start from; the smallest one >= ttl gives the distance. */
static int distance_from_ttl(int ttl)
{
	static const int initial[] = {32, 64, 128, 255};

	if (ttl <= 0)
		return 0;
	for (size_t i = 0; i < sizeof initial / sizeof initial[0]; i++)
		if (ttl <= initial[i])
			return initial[i] - ttl + 1;
	return 0;
}

static void end_search_round(struct pmtu_task *k)
{
	struct nrb_pmtu_result *res = k->res;
	int lo = k->lo, hi = 0, hi_frag = 0;

	for (int i = 0; i < k->nslots; i++) {
		struct size_slot *s = &k->slot[i];

		if (s->passed) {
			log_probe(k, s->size, "passed");
			if (s->size > lo)
				lo = s->size;
		} else if (s->frag || s->local) {
			log_probe(k, s->size, s->frag ? "frag_needed" : "too_big_local");
		} else {
			log_probe(k, s->size, "lost");
		}
	}
	/* hi: the smallest size above lo that did not pass, this round or before */
	if (k->hi > lo) {
		hi = k->hi;
		hi_frag = k->hi_frag;
	}
	for (int i = 0; i < k->nslots; i++) {
		struct size_slot *s = &k->slot[i];

		if (s->passed)
			continue;
		if (s->size < lo) {
			if (!s->frag && !s->local)
				res->random_losses++; /* a larger size passed: lost at random */
			continue;
		}
		if (!hi || s->size < hi || (s->size == hi && (s->frag || s->local))) {
			hi = s->size;
			hi_frag = s->frag || s->local;
		}
	}
	/* a router's reported MTU below hi: every size above it fails the same way */
	if (res->has_reported && (int)res->reported_mtu >= lo && (int)res->reported_mtu < hi &&
	    (int)res->reported_mtu >= k->req.min_size) {
		if ((int)res->reported_mtu > lo)
			k->suggested = (int)res->reported_mtu;
	}
	k->lo = lo;
	k->hi = hi;
	k->hi_frag = hi_frag;
	if (!lo) {
		k->t.done = 1; /* nothing passed, not even the smallest size */
		return;
	}
	if (!hi) {
		k->t.done = 1; /* the largest size passed */
		return;
	}
	if (hi - lo <= 1) {
		if (hi_frag)
			k->t.done = 1; /* an ICMP error or our own MTU says so: settled */
		else
			final_round(k);
		return;
	}
	if (k->round >= MAX_ROUNDS) {
		k->t.done = 1;
		return;
	}
	search_round(k);
}

static void end_final_round(struct pmtu_task *k)
{
	struct nrb_pmtu_result *res = k->res;
	struct size_slot *hi = slot_of(k, k->hi), *lo = slot_of(k, k->lo);
	int reached = lo && lo->passed, last_big = 0, next = 0;

	if (hi && hi->passed) {
		/* hi passes after all: it was lost at random; search on above it */
		log_probe(k, k->hi, "passed");
		res->random_losses++;
		k->lo = k->hi;
		k->hi = 0;
		k->hi_frag = 0;
		if (k->lo >= k->req.max_size || k->round >= MAX_ROUNDS)
			k->t.done = 1;
		else
			search_round(k);
		return;
	}
	if (hi && (hi->frag || hi->local)) {
		log_probe(k, k->hi, hi->frag ? "frag_needed" : "too_big_local");
		k->hi_frag = 1;
		k->t.done = 1;
		return;
	}
	log_probe(k, k->hi, "lost");
	if (lo)
		log_probe(k, k->lo, lo->passed ? "passed" : "lost");
	for (int ttl = 1; ttl <= k->nttl; ttl++) {
		if (k->hops[ttl].small == H_TARGET)
			reached = 1; /* a small probe with this TTL got to the target */
		if (k->hops[ttl].big == H_ROUTER)
			last_big = ttl; /* a router answered the big probe: it saw it */
	}
	res->confirmed = reached;
	if (!reached) {
		/* neither size gets through now: the path is too lossy to tell */
		k->t.done = 1;
		return;
	}
	if (last_big) {
		res->hop = last_big;
		res->hop_addr = k->hops[last_big].big_from;
	}
	/* the first hop after it that answers a small probe: the device beyond the break */
	for (int ttl = last_big + 1; ttl <= k->nttl && !next; ttl++) {
		if (k->hops[ttl].small == H_TARGET)
			break;
		if (k->hops[ttl].small == H_ROUTER)
			next = ttl;
	}
	if (next) {
		res->next_hop = next;
		res->next_hop_addr = k->hops[next].small_from;
	}
	res->located = 1;
	k->t.done = 1;
}

static void settle(struct pmtu_task *k)
{
	if (--k->pending > 0 || k->t.done)
		return;
	if (k->final)
		end_final_round(k);
	else
		end_search_round(k);
}

/* In the final round a TTL-limited probe's answer: note who answered. */
static void note_hop(struct pmtu_task *k, int size, int ttl, const struct nrb_sess_reply *r)
{
	struct hop_seen *h;

	if (ttl < 1 || ttl > k->nttl)
		return;
	h = &k->hops[ttl];
	if (size == k->hi) {
		if (r->kind == NRB_PKT_ICMP_ERROR && r->err != NRB_ERR_PORT_UNREACH) {
			/* time exceeded (or another error) from a router: it saw the big packet */
			if (h->big == H_NONE) {
				h->big = H_ROUTER;
				h->big_from = r->from;
			}
		} else {
			h->big = H_TARGET; /* the target answered a big probe: not a blackhole */
		}
	} else if (size == k->lo) {
		if (r->kind == NRB_PKT_ICMP_ERROR && r->err != NRB_ERR_PORT_UNREACH) {
			if (h->small == H_NONE) {
				h->small = H_ROUTER;
				h->small_from = r->from;
			}
		} else {
			h->small = H_TARGET;
		}
	}
}

static int pmtu_start(struct nrb_task *t)
{
	struct pmtu_task *k = (struct pmtu_task *)t;

	search_round(k);
	return k->pending ? 0 : -EIO;
}

static void pmtu_reply(struct nrb_task *t, uint32_t cookie, const struct nrb_sess_reply *r)
{
	struct pmtu_task *k = (struct pmtu_task *)t;
	struct nrb_pmtu_result *res = k->res;
	int size = C_SIZE(cookie), ttl = C_TTL(cookie);
	struct size_slot *s;

	if (C_ROUND(cookie) != (k->round & 0xff))
		return; /* cannot happen: a round ends when all its probes settled */
	if (ttl) {
		note_hop(k, size, ttl, r);
		/* a big probe that got to the target with a TTL: hi passes after all */
		if (size == k->hi && ttl <= k->nttl && k->hops[ttl].big == H_TARGET &&
		    (s = slot_of(k, size)))
			s->passed++;
		settle(k);
		return;
	}
	s = slot_of(k, size);
	if (!s) {
		settle(k);
		return;
	}
	if (r->kind == NRB_PKT_ICMP_ERROR &&
	    (r->err == NRB_ERR_FRAG_NEEDED || r->err == NRB_ERR_PACKET_TOO_BIG)) {
		s->frag++;
		/* a router's word: every size above the MTU it reports fails the same way */
		if (r->mtu && (int)r->mtu < size && (int)r->mtu >= k->req.min_size &&
		    (!k->hi || (int)r->mtu + 1 < k->hi) && (int)r->mtu >= k->lo) {
			k->hi = (int)r->mtu + 1;
			k->hi_frag = 1;
		}
		if (!res->has_reported || (r->mtu && r->mtu < res->reported_mtu)) {
			res->has_reported = 1;
			res->reported_from = r->from;
			res->reported_mtu = r->mtu;
			res->reported_ttl = r->ttl;
		}
	} else if (r->kind == NRB_PKT_ICMP_ERROR && r->err == NRB_ERR_TTL_EXCEEDED) {
		s->lost++; /* 64 hops were not enough: a loop, or a very long path */
	} else {
		/* an echo reply, port unreachable from the target, a UDP answer: it got there */
		s->passed++;
		if (r->ttl > 0 && !k->dist)
			k->dist = distance_from_ttl(r->ttl);
	}
	settle(k);
}

static void pmtu_timeout(struct nrb_task *t, uint32_t cookie, uint64_t sent_us, int send_err)
{
	struct pmtu_task *k = (struct pmtu_task *)t;
	int size = C_SIZE(cookie), ttl = C_TTL(cookie);
	struct size_slot *s = ttl ? NULL : slot_of(k, size);

	(void)sent_us;
	if (C_ROUND(cookie) != (k->round & 0xff))
		return;
	if (s) {
		if (send_err == -EMSGSIZE)
			s->local++;
		else
			s->lost++;
	} else if (ttl && send_err == -EMSGSIZE && size == k->hi && ttl <= k->nttl) {
		/* too big for our own interface: no hop ever sees it */
		if ((s = slot_of(k, size)))
			s->local++;
	}
	if (send_err && send_err != -EMSGSIZE) {
		k->res->send_errors++;
		if (!k->res->send_error)
			k->res->send_error = send_err;
	}
	settle(k);
}

static void pmtu_finish(struct nrb_task *t)
{
	struct pmtu_task *k = (struct pmtu_task *)t;
	struct nrb_pmtu_result *res = k->res;

	res->path_mtu = k->lo;
	res->rounds = k->round;
	if (k->hi && !k->hi_frag)
		res->smallest_lost = k->hi;
	if (!k->lo)
		res->status = "no_reply";
	else if (k->hi && k->hi_frag)
		res->status = res->has_reported ? "frag_needed" : "ok"; /* ok: our own MTU */
	else if (k->hi && res->confirmed)
		res->status = "blackhole";
	else if (k->hi)
		res->status = "lossy"; /* sizes vanished, but not provably for their size */
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
	if (!q.max_ttl)
		q.max_ttl = 30;
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
	if (q.max_ttl < 1 || q.max_ttl > NRB_PMTU_MAX_TTL)
		return nrb_err(err, errlen, EINVAL, "pmtu: max_ttl must be 1..%d", NRB_PMTU_MAX_TTL);
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
	k->width = q.proto == NRB_PROTO_UDP ? WIDTH_UDP : WIDTH_ICMP;
	/* every round's probes, plus the final round's (twice: it can send the search on) */
	k->t.max_probes = MAX_ROUNDS * (WIDTH_ICMP + 1) * q.tries +
	                  2 * (1 + CONFIRM_COPIES + q.max_ttl * (q.tries + 1));
	k->t.max_time_us = nrb_pmtu_budget_us(&q);
	k->req = q;
	k->res = res;
	rc = nrb_sess_add(s, &k->t);
	if (rc < 0) {
		free(k);
		return nrb_err(err, errlen, -rc, "pmtu: too many probes in one run");
	}
	return 0;
}

uint64_t nrb_pmtu_budget_us(const struct nrb_pmtu_req *q)
{
	uint64_t timeout = q->timeout_us ? q->timeout_us : 1000000;

	/* each round waits at most one timeout after its last probe left; sending is
	 * bounded by the session's rate, allowed for generously */
	return (MAX_ROUNDS + 2) * timeout + 10000000;
}
