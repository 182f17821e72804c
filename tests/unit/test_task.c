/* Unit tests for core/probe/task (session) and the trace/ping/tcp_syn tasks, through the
 * fake socket seam on a fake clock: a fake 4-hop IPv4 network (client 192.0.2.2, routers
 * 192.0.2.1, 198.51.100.2, 198.51.100.6, server 203.0.113.10) answers probes sent on the
 * header-included raw socket with time-exceeded errors, echo replies, SYN-ACKs and port
 * unreachables; a filter mode makes everything after hop 2 silent, a slow mode puts the
 * far hops behind a delay (a longer path may be asked for).  Also: reply matching
 * ignores stray packets, bad input sends nothing, RTT statistics and the adaptive timeout
 * against hand-computed values. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "probe/netprobe.h"

struct world {
	uint64_t now;                 /* fake clock */
	struct nrb_clock clock;       /* over now */
	struct nrb_sock_fake *fake;   /* sockets */
	struct nrb_sock_ops ops;      /* bound to fake */
	struct nrb_sess_opener opener;/* "privileged" opens: fake fds */
	struct nrb_sess *sess;        /* session under test */
	int filter_after;             /* 0: none; n: hops > n are silent */
	int path_len;                 /* TTL of the server; 0: 4 (routers past hop 3 are
	                               * 198.51.100.100 + TTL) */
	int slow_from;                /* 0: none; n: hops >= n answer after slow_us */
	uint64_t slow_us;
	int raw_denied;               /* open_raw fails with EPERM */
	int garbage;                  /* inject a stray packet before each answer */
	int narrow;                   /* hops >= 3 sit behind a 1280-byte link */
	int narrow_silent;            /* ... and hop 2 does not say so (PMTU blackhole) */
	int lossy;                    /* probes reaching hop >= 3: every second one lost */
	int drop_size;                /* the first drop_n full-TTL probes of this size are lost */
	int drop_n;
	int drop_from, drop_to;       /* ... and the first two of each size in this range */
	uint8_t dropped[2048];
	int cnt[256];                 /* probes seen per TTL (for lossy) */
	int limit_hop;                /* this hop limits its time-exceededs like Linux: */
	uint64_t limit_burst_us;      /* a bucket of this many microseconds of tokens, */
	uint64_t limit_tok_us;        /* full at the start, 1 s spent per answer, */
	uint64_t limit_last_us;       /* refilled with the time passed */
	int limit_answered, limit_dropped;
	uint32_t max_inflight[3];     /* per task (added in order): most in flight at a send */
	size_t sent_at_start;         /* probes sent at the run's first instant */
	uint64_t start;               /* that instant */
};

#include "fake_path.h"

/* Called for every probe as it leaves: the sending task's probes in flight (sent, not
 * called back) plus this one must stay within its window, and the session's own count
 * (nrb_sess_outstanding walks the probe list) must agree with the task's counter.  With
 * one task per protocol, the protocol names the task. */
static void check_window(struct world *w, int ipproto)
{
	unsigned i = ipproto == IPPROTO_ICMP ? 0 : ipproto == IPPROTO_UDP ? 1 : 2;
	struct nrb_task *t = nrb_sess_task(w->sess, i);
	int n;

	if (!t || nrb_sess_task(w->sess, 1) == NULL) {
		/* a single task, of any protocol */
		t = nrb_sess_task(w->sess, 0);
		i = 0;
	}
	if (!t || !t->window)
		return;
	n = nrb_sess_outstanding(w->sess, t, NRB_TRACE_MAX_TTL, NULL, NULL);
	assert_true(n >= 0);
	assert_int_equal((uint32_t)n, t->inflight);
	assert_true(t->inflight + 1 <= t->window);
	if (t->inflight + 1 > w->max_inflight[i])
		w->max_inflight[i] = t->inflight + 1;
	if (!w->start)
		w->start = w->now;
	if (w->now == w->start)
		w->sent_at_start++;
}

static int w_open_raw(void *ctx, int af, int proto, char *err, size_t errlen)
{
	struct world *w = ctx;

	(void)proto;
	(void)err;
	(void)errlen;
	if (w->raw_denied)
		return -EPERM;
	return w->ops.open(w->ops.ctx, af, SOCK_DGRAM, 0);
}

static int w_open_icmp(void *ctx, int af, enum nrb_priv_kind *kind, char *err, size_t errlen)
{
	struct world *w = ctx;

	(void)err;
	(void)errlen;
	*kind = w->raw_denied ? NRB_PRIV_DGRAM : NRB_PRIV_RAW;
	return w->ops.open(w->ops.ctx, af, SOCK_DGRAM, 0);
}

/* The fake network: every probe leaves on the IP_HDRINCL socket as a whole packet. */
static int network(struct nrb_sock_fake *fake, void *rctx, const struct nrb_sock_fake_sent *s)
{
	struct world *w = rctx;
	struct nrb_pkt_info p;
	uint8_t body[FAKE_PKT_MAX], pkt[FAKE_PKT_MAX];
	size_t n, q;
	int icmp_fd = nrb_sess_fd(w->sess, AF_INET, NRB_PROTO_ICMP);
	int ttl, dest;
	uint64_t delay;

	(void)fake;
	assert_int_equal(nrb_pkt_parse_ip(s->data, s->len, &p), 0);
	ttl = p.ttl;
	check_window(w, p.proto);
	if (w->garbage) {
		/* a stray echo reply nobody asked for, and a truncated packet */
		uint8_t junk[8] = {0, 0, 0, 0, 0x77, 0x77, 0, 1};

		n = wrap(pkt, "198.51.100.99", IPPROTO_ICMP, 50, junk, sizeof junk);
		inject(w, icmp_fd, 100, pkt, n);
		inject(w, icmp_fd, 100, pkt, 9);
	}
	if (w->filter_after && ttl > w->filter_after)
		return 0;
	if (w->lossy && ttl >= 3 && (w->cnt[ttl]++ % 2) == 1)
		return 0;
	if (w->drop_n > 0 && ttl == 64 && (int)s->len == w->drop_size) {
		w->drop_n--;
		return 0;
	}
	if (ttl == 64 && (int)s->len >= w->drop_from && (int)s->len <= w->drop_to &&
	    s->len < sizeof w->dropped && w->dropped[s->len] < 2) {
		w->dropped[s->len]++;
		return 0;
	}
	if (w->narrow && ttl >= 3 && s->len > 1280) {
		if (w->narrow_silent)
			return 0;
		/* hop 2 cannot forward it: fragmentation needed, next-hop MTU 1280 */
		q = s->len < 28 ? s->len : 28;
		memset(body, 0, 8);
		body[0] = 3;
		body[1] = 4;
		body[6] = 1280 >> 8;
		body[7] = 1280 & 0xff;
		memcpy(body + 8, s->data, q);
		n = wrap(pkt, HOPS[1], IPPROTO_ICMP, 63, body, 8 + q);
		inject(w, icmp_fd, 2000, pkt, n);
		return 0;
	}
	if (ttl == w->limit_hop) {
		/* icmpv4_xrlim_allow: tokens = min(tokens + elapsed, burst); one answer costs 1 s */
		if (!w->limit_last_us)
			w->limit_tok_us = w->limit_burst_us;
		else
			w->limit_tok_us += w->now - w->limit_last_us;
		if (w->limit_tok_us > w->limit_burst_us)
			w->limit_tok_us = w->limit_burst_us;
		w->limit_last_us = w->now;
		if (w->limit_tok_us < 1000000) {
			w->limit_dropped++;
			return 0;
		}
		w->limit_tok_us -= 1000000;
		w->limit_answered++;
	}
	dest = w->path_len ? w->path_len : 4;
	delay = ttl < dest ? 1000u * (unsigned)ttl : 4000;
	if (w->slow_from && (ttl < dest ? ttl : dest) >= w->slow_from)
		delay = w->slow_us;
	if (ttl < dest) {
		/* time exceeded from hop ttl, quoting the probe (IP header + 8 bytes) */
		char far[32];

		snprintf(far, sizeof far, "198.51.100.%d", 100 + ttl);
		q = s->len < 28 ? s->len : 28;
		memset(body, 0, 8);
		body[0] = 11;
		memcpy(body + 8, s->data, q);
		n = wrap(pkt, ttl < 4 ? HOPS[ttl - 1] : far, IPPROTO_ICMP, (uint8_t)(65 - ttl),
		         body, 8 + q);
		inject(w, icmp_fd, delay, pkt, n);
		return 0;
	}
	if (p.proto == IPPROTO_ICMP) {
		memcpy(body, s->data + 20, s->len - 20);
		body[0] = 0; /* echo reply */
		n = wrap(pkt, SERVER, IPPROTO_ICMP, 61, body, s->len - 20);
		inject(w, icmp_fd, delay, pkt, n);
	} else if (p.proto == IPPROTO_TCP) {
		struct nrb_pkt_ip ip;
		struct nrb_pkt_tcp t;

		memset(&ip, 0, sizeof ip);
		nrb_pkt_addr_from_string(&ip.src, SERVER);
		nrb_pkt_addr_from_string(&ip.dst, "192.0.2.2");
		ip.ttl = 61;
		ip.ip_id = 0x4321;
		memset(&t, 0, sizeof t);
		t.sport = p.dport;
		t.dport = p.sport;
		t.seq = 777;
		t.ack = p.tcp_seq + 1;
		t.flags = NRB_TCP_SYN | NRB_TCP_ACK;
		t.window = 1000;
		assert_int_equal(nrb_pkt_build_ipv4(pkt, sizeof pkt, &ip, IPPROTO_TCP, 20), 20);
		assert_int_equal(nrb_pkt_build_tcp(pkt + 20, sizeof pkt - 20, &ip, &t), 20);
		inject(w, nrb_sess_fd(w->sess, AF_INET, NRB_PROTO_TCP), delay, pkt, 40);
	} else {
		q = s->len < 28 ? s->len : 28;
		memset(body, 0, 8);
		body[0] = 3;
		body[1] = 3; /* port unreachable */
		memcpy(body + 8, s->data, q);
		n = wrap(pkt, SERVER, IPPROTO_ICMP, 61, body, 8 + q);
		inject(w, icmp_fd, delay, pkt, n);
	}
	return 0;
}

static struct world *setup_world(void)
{
	struct world *w = calloc(1, sizeof *w);
	struct nrb_sess_opts o;

	assert_non_null(w);
	w->now = 1000000;
	w->clock.now_us = w_now;
	w->clock.sleep_us = w_sleep;
	w->clock.ctx = w;
	assert_int_equal(nrb_sock_fake_new(w_now, w, &w->fake), 0);
	w->ops = nrb_sock_fake_ops(w->fake);
	w->opener.open_raw = w_open_raw;
	w->opener.open_icmp = w_open_icmp;
	w->opener.ctx = w;
	memset(&o, 0, sizeof o);
	o.ops = &w->ops;
	o.open = &w->opener;
	o.clock = &w->clock;
	o.sport = 40000;
	o.icmp_id = 0x4e52;
	assert_int_equal(nrb_pkt_addr_from_string(&o.src4, "192.0.2.2"), 0);
	assert_int_equal(nrb_sess_new(&o, &w->sess, NULL, 0), 0);
	nrb_sock_fake_set_responder(w->fake, network, w);
	return w;
}

static void req_for(struct nrb_trace_req *q, enum nrb_proto p, uint16_t port)
{
	memset(q, 0, sizeof *q);
	assert_int_equal(nrb_pkt_addr_from_string(&q->dst, SERVER), 0);
	q->proto = p;
	q->port = port;
	q->max_ttl = 30;
	q->queries = 2;
	q->timeout_us = 2000000;
}

static void test_trace_icmp_four_hops(void **state)
{
	struct world *w = setup_world();
	struct nrb_trace_result r;
	struct nrb_trace_req q;
	struct nrb_sess_stats st;

	(void)state;
	w->garbage = 1;
	req_for(&q, NRB_PROTO_ICMP, 0);
	assert_int_equal(nrb_trace_add(w->sess, &q, &r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_true(r.reached);
	assert_int_equal(r.reached_ttl, 4);
	assert_string_equal(r.dest_answer, "echo_reply");
	assert_int_equal(r.dest_reply_ttl, 61);
	assert_string_equal(r.stop, "reached");
	assert_int_equal(r.nhops, 4);
	assert_int_equal(r.last_ttl, 4);
	assert_addr(&r.last_address, SERVER);
	for (int t = 1; t <= 3; t++) {
		assert_int_equal(r.hops[t - 1].received, 2);
		assert_int_equal(r.hops[t - 1].sent, 2);
		assert_addr(&r.hops[t - 1].replies[0].from, HOPS[t - 1]);
		assert_string_equal(r.hops[t - 1].replies[0].kind, "time_exceeded");
		assert_int_equal(r.hops[t - 1].replies[0].reply_ttl, 65 - t);
		assert_true(fabs(r.hops[t - 1].replies[0].rtt_ms - t) < 0.001);
	}
	assert_null(r.degraded);
	nrb_sess_stats(w->sess, &st);
	assert_true(st.unmatched > 0);  /* the stray echo replies */
	assert_true(st.malformed > 0);  /* the truncated packets */
	assert_int_equal(st.matched, 8);
	/* flow constant (Paris): every ICMP probe carries the same checksum */
	for (size_t i = 0; i < nrb_sock_fake_nsent(w->fake); i++) {
		const struct nrb_sock_fake_sent *s = nrb_sock_fake_sent_at(w->fake, i);

		assert_int_equal(s->data[22], 0x4e);
		assert_int_equal(s->data[23], 0x52);
	}
	free_world(w);
}

static void test_trace_tcp_filter_after_hop2(void **state)
{
	struct world *w = setup_world();
	struct nrb_trace_result r;
	struct nrb_trace_req q;
	uint16_t sport0 = 0;

	(void)state;
	w->filter_after = 2;
	req_for(&q, NRB_PROTO_TCP, 443);
	assert_int_equal(nrb_trace_add(w->sess, &q, &r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_false(r.reached);
	assert_string_equal(r.stop, "silence");
	assert_int_equal(r.last_ttl, 2);
	assert_addr(&r.last_address, HOPS[1]);
	assert_int_equal(r.hops[2].received, 0);
	assert_int_equal(r.hops[29].received, 0);
	/* nothing answers at TTL 3 or beyond, so hop 3's silence is judged on the whole 2 s
	 * ceiling: the fast answers of hops 1 and 2 say nothing about it.  60 probes, window
	 * 32: 32 at once (TTL 1..16), 4 answered at once and replaced (TTL 17, 18); 2 s
	 * later the silent ones expire, TTLs 3..7 have each waited the ceiling in vain (the
	 * gap), so the last 24 (TTL 19..30) wait 300 ms (5 x 2 ms floored): 2.3 s in all */
	assert_int_equal(r.timeout_used_us, 2000000);
	assert_int_equal(w->max_inflight[0], NRB_TRACE_DEFAULT_WINDOW);
	assert_true(r.elapsed_us >= 2300000 && r.elapsed_us <= 2300000 + 20000);
	/* every probe was settled (timed out) before the end: all counted as sent */
	for (int t = 1; t <= 30; t++)
		assert_int_equal(r.hops[t - 1].sent, 2);
	/* constant flow: every SYN has the same ports */
	for (size_t i = 0; i < nrb_sock_fake_nsent(w->fake); i++) {
		const struct nrb_sock_fake_sent *s = nrb_sock_fake_sent_at(w->fake, i);
		uint16_t sp = (uint16_t)(s->data[20] << 8 | s->data[21]);

		if (!sport0)
			sport0 = sp;
		assert_int_equal(sp, sport0);
		assert_int_equal(s->data[22] << 8 | s->data[23], 443);
	}
	free_world(w);
}

/* The far hops sit 500 ms behind fast first hops (the high_latency lab scenario with a
 * 250 ms delay line): hop 1 answering in 1 ms says nothing about hop 3, so every hop is
 * found.  The old single adaptive timeout (3 x the largest RTT, floored at 300 ms) cut
 * every probe in flight to 300 ms at hop 1's answer and lost hops 3 and 4. */
static void test_trace_slow_far_hops(void **state)
{
	static const struct {
		int queries, max_ttl, path_len;
		uint64_t elapsed_us;
	} cases[] = {{1, 6, 0, 500000}, {3, 30, 0, 500000}, {3, 30, 12, 502000}};

	(void)state;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct world *w = setup_world();
		struct nrb_trace_result r;
		struct nrb_trace_req q;
		int dest = cases[c].path_len ? cases[c].path_len : 4;

		w->slow_from = 3;
		w->slow_us = 500000;
		w->path_len = cases[c].path_len;
		req_for(&q, NRB_PROTO_ICMP, 0);
		q.queries = cases[c].queries;
		q.max_ttl = cases[c].max_ttl;
		assert_int_equal(nrb_trace_add(w->sess, &q, &r, NULL, 0), 0);
		assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
		assert_true(r.reached);
		assert_int_equal(r.reached_ttl, dest);
		assert_string_equal(r.stop, "reached");
		assert_int_equal(r.nhops, dest);
		for (int t = 1; t <= dest; t++) {
			/* every query of every hop answered: no hop looks lossy either */
			assert_int_equal(r.hops[t - 1].sent, q.queries);
			assert_int_equal(r.hops[t - 1].received, q.queries);
			assert_true(fabs(r.hops[t - 1].replies[0].rtt_ms - (t < 3 ? t : 500)) < 0.001);
		}
		assert_addr(&r.hops[2].replies[0].from, HOPS[2]);
		assert_addr(&r.hops[dest - 1].replies[0].from, SERVER);
		/* done when the destination's answers are in: one 500 ms round trip after
		 * its last probe left (on the 12-hop path TTL 12 went out as hops 1 and 2
		 * answered and freed slots of the window, at 1 and 2 ms) */
		assert_int_equal(r.elapsed_us, cases[c].elapsed_us);
		/* the destination's wait: 3 x its own 500 ms */
		assert_int_equal(r.timeout_used_us, 1500000);
		free_world(w);
	}
}

/* A path silent after hop 2, as the path_filter lab scenario shows a TCP trace to 443
 * (30 TTLs).  Nothing answers past hop 2, so no probe there has evidence to wait less
 * than the 2 s ceiling: the trace takes one ceiling (that is what tells silence from a
 * slow far path), not one per window of probes.  With 3 queries, 90 probes, window 32:
 * TTL 1..11 at once, TTLs 11..13 as hops 1 and 2 answer; 2 s later they expire, TTLs 3..7
 * have each waited the ceiling in vain, and the other 58 go in two waves of 300 ms (5 x
 * the 2 ms of hop 2, floored).  With one query the 30 probes are one window: 2 s. */
static void test_trace_silent_tail_one_window(void **state)
{
	static const struct {
		int queries;
		uint64_t elapsed_us;
	} cases[] = {{3, 2600000}, {1, 2000000}};

	(void)state;
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct world *w = setup_world();
		struct nrb_trace_result r;
		struct nrb_trace_req q;

		w->filter_after = 2;
		req_for(&q, NRB_PROTO_TCP, 443);
		q.queries = cases[c].queries;
		assert_int_equal(nrb_trace_add(w->sess, &q, &r, NULL, 0), 0);
		assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
		assert_false(r.reached);
		assert_string_equal(r.stop, "silence");
		assert_int_equal(r.last_ttl, 2);
		assert_int_equal(r.nhops, 30);
		for (int t = 1; t <= 30; t++) {
			assert_int_equal(r.hops[t - 1].sent, q.queries);
			assert_int_equal(r.hops[t - 1].received, t <= 2 ? q.queries : 0);
		}
		/* hop 3's silence was judged on the whole ceiling ... */
		assert_int_equal(r.timeout_used_us, 2000000);
		/* ... and the trace took about that one window: not 300 ms (which would lose
		 * a slow far path) and not 2 s per window of probes (traceroute's 12 s) */
		assert_true(r.elapsed_us >= cases[c].elapsed_us);
		assert_true(r.elapsed_us <= cases[c].elapsed_us + 20000);
		free_world(w);
	}
}

static void test_trace_tcp_reaches_with_synack(void **state)
{
	struct world *w = setup_world();
	struct nrb_trace_result r;
	struct nrb_trace_req q;

	(void)state;
	req_for(&q, NRB_PROTO_TCP, 443);
	assert_int_equal(nrb_trace_add(w->sess, &q, &r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_true(r.reached);
	assert_int_equal(r.reached_ttl, 4);
	assert_string_equal(r.dest_answer, "syn_ack");
	assert_int_equal(r.nhops, 4);
	free_world(w);
}

static void test_three_protocols_at_once(void **state)
{
	struct world *w = setup_world();
	struct nrb_trace_result r[3];
	struct nrb_trace_req q;
	static const char *const answers[] = {"echo_reply", "port_unreachable", "syn_ack"};

	(void)state;
	for (int i = 0; i < 3; i++) {
		req_for(&q, (enum nrb_proto)(i + 1), i == 1 ? 33434 : 443);
		assert_int_equal(nrb_trace_add(w->sess, &q, &r[i], NULL, 0), 0);
	}
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	for (int i = 0; i < 3; i++) {
		assert_true(r[i].reached);
		assert_int_equal(r[i].reached_ttl, 4);
		assert_string_equal(r[i].dest_answer, answers[i]);
		for (int t = 1; t <= 3; t++)
			assert_addr(&r[i].hops[t - 1].replies[0].from, HOPS[t - 1]);
	}
	free_world(w);
}

/* The per-trace window: three traces of a path that is silent after hop 2 (the window
 * fills and stays full) never have more than W probes in flight each; W is per trace,
 * configurable, and checked. */
static void test_trace_window_bound(void **state)
{
	static const int windows[] = {NRB_TRACE_DEFAULT_WINDOW, 16, 5, 1};
	struct nrb_trace_result r[3];
	struct nrb_trace_req q;

	(void)state;
	for (size_t k = 0; k < sizeof windows / sizeof windows[0]; k++) {
		struct world *w = setup_world();

		w->filter_after = 2;
		for (int i = 0; i < 3; i++) {
			req_for(&q, (enum nrb_proto)(i + 1), i == 1 ? 33434 : 443);
			q.max_ttl = 12;
			q.queries = 3;
			/* the window is the point here, not the waits: a 300 ms ceiling (the
			 * floor too) keeps a window of 1 (36 silent probes one after another,
			 * TTLs 3..7 at the ceiling) within the task's time cap */
			q.timeout_us = 300000;
			q.window = k ? windows[k] : 0; /* 0: the default */
			assert_int_equal(nrb_trace_add(w->sess, &q, &r[i], NULL, 0), 0);
			assert_int_equal(nrb_sess_task(w->sess, (unsigned)i)->window,
			                 (uint32_t)windows[k]);
		}
		assert_int_equal(nrb_sess_run(w->sess, 120000000), 0);
		for (int i = 0; i < 3; i++) {
			/* the bound held at every send (check_window), and was reached unless
			 * the session's own window (64 for all tasks) bound first */
			if (3 * windows[k] <= 64)
				assert_int_equal(w->max_inflight[i], (uint32_t)windows[k]);
			else
				assert_true(w->max_inflight[i] > 16);
			assert_false(r[i].reached);
			assert_int_equal(r[i].last_ttl, 2);
			assert_string_equal(r[i].stop, "silence");
			for (int t = 1; t <= 12; t++)
				assert_int_equal(r[i].hops[t - 1].sent, 3);
			assert_int_equal(nrb_sess_task(w->sess, (unsigned)i)->inflight, 0);
		}
		assert_int_equal(nrb_sock_fake_nsent(w->fake), 3 * 36);
		free_world(w);
	}
	/* out of range: refused before anything is sent */
	for (int bad = -1; bad <= 1; bad += 2) {
		struct world *w = setup_world();
		char err[128] = "";

		req_for(&q, NRB_PROTO_ICMP, 0);
		q.window = bad < 0 ? -1 : NRB_TRACE_MAX_WINDOW + 1;
		assert_int_equal(nrb_trace_add(w->sess, &q, &r[0], err, sizeof err), -EINVAL);
		assert_non_null(strstr(err, "window"));
		assert_null(nrb_sess_task(w->sess, 0));
		assert_int_equal(nrb_sock_fake_nsent(w->fake), 0);
		free_world(w);
	}
}

/* The default burst of 48 lets the first window of each of three traces of a short
 * path (16 each: 3 x 16 = 48 under the bucket) out at the same instant, so the run takes
 * one round trip to the destination; the probes above it are cancelled when it answers.
 * One trace alone spends its window of 32, not the whole burst. */
static void test_trace_burst_short_path(void **state)
{
	struct nrb_trace_result r[3];
	struct nrb_trace_req q;
	struct world *w = setup_world();

	(void)state;
	for (int i = 0; i < 3; i++) {
		req_for(&q, (enum nrb_proto)(i + 1), i == 1 ? 33434 : 443);
		q.queries = 3;
		assert_int_equal(nrb_trace_add(w->sess, &q, &r[i], NULL, 0), 0);
	}
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_int_equal(w->sent_at_start, NRB_LOOP_DEFAULT_BURST);
	for (int i = 0; i < 3; i++) {
		assert_true(r[i].reached);
		assert_int_equal(r[i].reached_ttl, 4);
		assert_int_equal(w->max_inflight[i], 16); /* took turns: 48 / 3 */
		/* done when the destination's answers (4 ms away) are in, not a tick later */
		assert_int_equal(r[i].elapsed_us, 4000);
	}
	/* 48 probes, TTL 1..5 and one of TTL 6 per trace: the rest was never sent.  The
	 * three traceroutes send 3 x 3 x 16 = 144 here (16 at once, TTL 1..6 and more) */
	assert_int_equal(nrb_sock_fake_nsent(w->fake), 48);
	free_world(w);

	w = setup_world();
	req_for(&q, NRB_PROTO_ICMP, 0);
	q.queries = 3;
	assert_int_equal(nrb_trace_add(w->sess, &q, &r[0], NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_true(r[0].reached);
	assert_int_equal(w->sent_at_start, NRB_TRACE_DEFAULT_WINDOW);
	assert_int_equal(w->max_inflight[0], NRB_TRACE_DEFAULT_WINDOW);
	free_world(w);
}

static void test_tcp_syn_probe(void **state)
{
	struct world *w = setup_world();
	struct nrb_port_result r;
	struct nrb_port_req q;

	(void)state;
	memset(&q, 0, sizeof q);
	nrb_pkt_addr_from_string(&q.dst, SERVER);
	q.proto = NRB_PROTO_TCP;
	q.port = 443;
	q.timeout_us = 1000000;
	assert_int_equal(nrb_port_add(w->sess, &q, &r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 10000000), 0);
	assert_string_equal(r.status, "syn_ack");
	assert_int_equal(r.reply_ttl, 61);
	assert_int_equal(r.reply_ipid, 0x4321);
	assert_true(fabs(r.rtt_ms - 4.0) < 0.001);
	free_world(w);
}

static void test_bad_input_sends_nothing(void **state)
{
	struct world *w = setup_world();
	struct nrb_trace_result r;
	struct nrb_trace_req q;
	struct nrb_ping_result pr;
	struct nrb_ping_req pq;
	char err[256];

	(void)state;
	req_for(&q, NRB_PROTO_TCP, 0);
	assert_int_equal(nrb_trace_add(w->sess, &q, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "port"));
	req_for(&q, NRB_PROTO_ICMP, 0);
	q.max_ttl = 65;
	assert_int_equal(nrb_trace_add(w->sess, &q, &r, err, sizeof err), -EINVAL);
	memset(&pq, 0, sizeof pq);
	nrb_pkt_addr_from_string(&pq.dst, SERVER);
	pq.count = 1000000;
	pq.size = 56;
	pq.interval_us = 1000000;
	pq.timeout_us = 1000000;
	assert_int_equal(nrb_ping_add(w->sess, &pq, &pr, err, sizeof err), -EINVAL);
	pq.count = 3;
	pq.size = 100000;
	assert_int_equal(nrb_ping_add(w->sess, &pq, &pr, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_trace_add(NULL, &q, &r, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_sess_run(w->sess, 1000000), 0);
	assert_int_equal(nrb_sock_fake_nsent(w->fake), 0);
	free_world(w);
}

static void test_ping_paced(void **state)
{
	struct world *w = setup_world();
	struct nrb_ping_result r;
	struct nrb_ping_req q;

	(void)state;
	memset(&q, 0, sizeof q);
	nrb_pkt_addr_from_string(&q.dst, SERVER);
	q.count = 4;
	q.size = 56;
	q.interval_us = 250000;
	q.timeout_us = 1000000;
	assert_int_equal(nrb_ping_add(w->sess, &q, &r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 10000000), 0);
	assert_int_equal(r.sent, 4);
	assert_int_equal(r.received, 4);
	assert_int_equal(r.reply_ttl, 61);
	/* the requests went out 250 ms apart (per-destination pacing) */
	for (size_t i = 1; i < 4; i++)
		assert_int_equal(nrb_sock_fake_sent_at(w->fake, i)->at_us -
		                 nrb_sock_fake_sent_at(w->fake, i - 1)->at_us, 250000);
	assert_int_equal(nrb_sock_fake_sent_at(w->fake, 0)->len, 20 + 8 + 56);
	nrb_ping_result_free(&r);
	free_world(w);
}

static void test_tcp_degraded_without_raw(void **state)
{
	struct world *w = setup_world();
	struct nrb_trace_result r;
	struct nrb_trace_req q;
	char err[256];

	(void)state;
	w->raw_denied = 1;
	req_for(&q, NRB_PROTO_TCP, 443);
	assert_int_equal(nrb_trace_add(w->sess, &q, &r, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "CAP_NET_RAW"));
	assert_non_null(r.degraded);
	assert_int_equal(nrb_sock_fake_nsent(w->fake), 0);
	free_world(w);
}

struct progress_seen {
	const struct nrb_mtr_result *r;
	struct world *w;
	int calls;
	int last_round;
	int monotonic;            /* rounds_done never went back */
	uint64_t first_us, last_us;
};

static void on_progress(void *ctx)
{
	struct progress_seen *p = ctx;

	if (p->r->rounds_done < p->last_round)
		p->monotonic = 0;
	p->last_round = p->r->rounds_done;
	if (!p->calls)
		p->first_us = p->w->now;
	p->last_us = p->w->now;
	p->calls++;
}

/* The progress hook fires while the session runs, at its pace, and once at the end with
 * the finished result. */
static void test_progress_hook(void **state)
{
	struct world *w = setup_world();
	struct nrb_mtr_result *r = calloc(1, sizeof *r);
	struct progress_seen p = {.monotonic = 1};
	struct nrb_mtr_req q;
	uint64_t t0 = w->now;

	(void)state;
	assert_non_null(r);
	memset(&q, 0, sizeof q);
	req_for(&q.trace, NRB_PROTO_ICMP, 0);
	q.rounds = 4;
	q.interval_us = 1000000;
	assert_int_equal(nrb_mtr_add(w->sess, &q, r, NULL, 0), 0);
	p.r = r;
	p.w = w;
	nrb_sess_on_progress(w->sess, 500000, on_progress, &p);
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	/* about 3 s of rounds at one call per 500 ms (the loop wakes at least every 100 ms),
	 * plus the last call */
	assert_in_range(p.calls, 5, 9);
	assert_true(p.first_us - t0 >= 500000);
	assert_true(p.monotonic);
	assert_int_equal(p.last_round, 4);
	free(r);
	free_world(w);
}

static void test_mtr_rounds_and_loss(void **state)
{
	struct world *w = setup_world();
	struct nrb_mtr_result *r = calloc(1, sizeof *r);
	struct nrb_mtr_req q;

	(void)state;
	assert_non_null(r);
	w->lossy = 1;
	memset(&q, 0, sizeof q);
	req_for(&q.trace, NRB_PROTO_ICMP, 0);
	q.rounds = 4;
	q.interval_us = 1000000;
	assert_int_equal(nrb_mtr_add(w->sess, &q, r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_int_equal(r->rounds_done, 4);
	assert_int_equal(r->dest_ttl, 4);
	assert_int_equal(r->nhops, 4);
	for (int t = 1; t <= 2; t++) {
		assert_int_equal(r->hops[t - 1].sent, 4);
		assert_int_equal(r->hops[t - 1].received, 4);
		assert_addr(&r->hops[t - 1].addrs[0], HOPS[t - 1]);
		/* hop t answers in t ms: Best = Wrst = Last = Avg, StDev 0 */
		assert_true(fabs(r->hops[t - 1].rtt.min - t) < 1e-9);
		assert_true(fabs(r->hops[t - 1].rtt.max - t) < 1e-9);
		assert_true(nrb_rtt_stddev(&r->hops[t - 1].rtt) < 1e-9);
	}
	/* every second probe lost from hop 3 on: the loss persists to the destination */
	assert_int_equal(r->hops[2].sent, 4);
	assert_int_equal(r->hops[2].received, 2);
	assert_int_equal(r->hops[3].sent, 4);
	assert_int_equal(r->hops[3].received, 2);
	assert_true(r->hops[3].dest);
	/* one probe per hop per round: hop 1 saw its probes 1 s apart */
	{
		uint64_t last = 0;
		int n = 0;

		for (size_t i = 0; i < nrb_sock_fake_nsent(w->fake); i++) {
			const struct nrb_sock_fake_sent *s = nrb_sock_fake_sent_at(w->fake, i);

			if (s->data[8] != 1)
				continue;
			if (n++)
				assert_int_equal(s->at_us - last, 1000000);
			last = s->at_us;
		}
		assert_int_equal(n, 4);
	}
	free(r);
	free_world(w);
}

/* Send times (fake clock) of the probes with TTL ttl and IP protocol ipproto. */
static int sends_at(struct world *w, int ttl, int ipproto, uint64_t *at, int max)
{
	int n = 0;

	for (size_t i = 0; i < nrb_sock_fake_nsent(w->fake) && n < max; i++) {
		const struct nrb_sock_fake_sent *s = nrb_sock_fake_sent_at(w->fake, i);

		if (s->data[8] == ttl && s->data[9] == ipproto)
			at[n++] = s->at_us;
	}
	return n;
}

/* An mtr request of 10 rounds 250 ms apart that slows to 1 s (the pacing tests). */
static void paced_req(struct nrb_mtr_req *q, enum nrb_proto p, uint16_t port)
{
	memset(q, 0, sizeof *q);
	req_for(&q->trace, p, port);
	q->rounds = 10;
	q->interval_us = 250000;
	q->slow_interval_us = 1000000;
}

/* Hop 2 limits like a Linux router whose bucket the traces emptied (one token, 1 s per
 * answer).  Rounds every 250 ms: round 1 (t=0) is answered, round 2 (t=250 ms) is not at
 * hop 2 while hop 3 answers it; the tick at 500 ms sees that gap, so round 3 leaves a whole
 * second after round 2 (t=1250 ms, the bucket back at 1.25 s of tokens) and every later
 * round a second apart: hop 2 then answers all of them, 9 of 10 in all. */
static void test_mtr_slows_down_at_a_limiting_hop(void **state)
{
	struct world *w = setup_world();
	struct nrb_mtr_result *r = calloc(1, sizeof *r);
	struct nrb_mtr_req q;
	uint64_t at[16];

	(void)state;
	assert_non_null(r);
	w->limit_hop = 2;
	w->limit_burst_us = 1000000;
	paced_req(&q, NRB_PROTO_ICMP, 0);
	assert_int_equal(nrb_mtr_add(w->sess, &q, r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_int_equal(r->rounds_done, 10);
	assert_int_equal(r->slowed_round, 3);
	assert_int_equal(r->pace.slow, 1);
	assert_int_equal(r->pace.slow_hop, 2);
	assert_int_equal(r->stopped_round, 0);
	assert_int_equal(r->hops[1].sent, 10);
	assert_int_equal(r->hops[1].received, 9);
	assert_int_equal(w->limit_dropped, 1);
	for (int t = 1; t <= 4; t += t == 1 ? 2 : 1) {
		assert_int_equal(r->hops[t - 1].sent, 10);
		assert_int_equal(r->hops[t - 1].received, 10);
	}
	assert_int_equal(sends_at(w, 1, IPPROTO_ICMP, at, 16), 10);
	assert_int_equal(at[1] - at[0], 250000);
	assert_int_equal(at[2] - at[1], 1000000);
	for (int i = 3; i < 10; i++)
		assert_int_equal(at[i] - at[i - 1], 1000000);
	free(r);
	free_world(w);
}

/* Without a limit (or a silent hop, which never answers) the pace stays fast: 10 rounds
 * 250 ms apart, every probe answered. */
static void test_mtr_fast_pace_without_limit(void **state)
{
	struct world *w = setup_world();
	struct nrb_mtr_result *r = calloc(1, sizeof *r);
	struct nrb_mtr_req q;
	uint64_t at[16];

	(void)state;
	assert_non_null(r);
	w->filter_after = 2; /* hops 3 and on silent: no farther answer, no gap */
	paced_req(&q, NRB_PROTO_ICMP, 0);
	q.trace.max_ttl = 6;
	assert_int_equal(nrb_mtr_add(w->sess, &q, r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_int_equal(r->slowed_round, 0);
	assert_int_equal(r->pace.slow, 0);
	assert_int_equal(sends_at(w, 1, IPPROTO_ICMP, at, 16), 10);
	for (int i = 1; i < 10; i++)
		assert_int_equal(at[i] - at[i - 1], 250000);
	assert_int_equal(r->hops[1].received, 10);
	assert_int_equal(r->hops[2].received, 0);
	free(r);
	free_world(w);
}

/* ICMP and TCP rounds at once share the hops' budget: a bucket of two answers is spent by
 * round 1's two probes at hop 2, round 2's are not answered, both tasks see the gap at
 * the 500 ms tick; the ICMP task goes on at 1 s, the TCP task (stop_when_slowed) stops
 * after its two rounds rather than double the rate at hop 2. */
static void test_mtr_two_protocols_share_the_pace(void **state)
{
	struct world *w = setup_world();
	struct nrb_mtr_result *r = calloc(2, sizeof *r);
	struct nrb_mtr_req q[2];
	struct nrb_mtr_pace pace;
	uint64_t at[16];

	(void)state;
	assert_non_null(r);
	w->limit_hop = 2;
	w->limit_burst_us = 2000000;
	memset(&pace, 0, sizeof pace);
	for (int i = 0; i < 2; i++) {
		paced_req(&q[i], i ? NRB_PROTO_TCP : NRB_PROTO_ICMP, i ? 443 : 0);
		q[i].pace = &pace;
		q[i].stop_when_slowed = i;
		assert_int_equal(nrb_mtr_add(w->sess, &q[i], &r[i], NULL, 0), 0);
	}
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_int_equal(pace.slow, 1);
	assert_int_equal(pace.slow_hop, 2);
	assert_int_equal(r[0].rounds_done, 10);
	assert_int_equal(r[0].slowed_round, 3);
	assert_int_equal(r[0].hops[1].received, 9);
	assert_int_equal(r[1].rounds_done, 2);
	assert_int_equal(r[1].stopped_round, 2);
	assert_int_equal(r[1].hops[1].sent, 2);
	assert_int_equal(r[1].hops[1].received, 1);
	assert_int_equal(r[1].hops[3].received, 2); /* SYN-ACKs from the server */
	assert_int_equal(sends_at(w, 1, IPPROTO_TCP, at, 16), 2);
	assert_int_equal(sends_at(w, 1, IPPROTO_ICMP, at, 16), 10);
	assert_int_equal(at[2] - at[1], 1000000);
	free(r);
	free_world(w);
}

/* A path that goes silent after hop 2: after the first round (all 30 TTLs, nothing known
 * yet) each round probes five silent hops past hop 2, as mtr's --max-unknown does. */
static void test_mtr_max_unknown(void **state)
{
	struct world *w = setup_world();
	struct nrb_mtr_result *r = calloc(1, sizeof *r);
	struct nrb_mtr_req q;
	uint64_t at[16];

	(void)state;
	assert_non_null(r);
	w->filter_after = 2;
	memset(&q, 0, sizeof q);
	req_for(&q.trace, NRB_PROTO_ICMP, 0);
	q.rounds = 4;
	q.interval_us = 1000000;
	assert_int_equal(nrb_mtr_add(w->sess, &q, r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_int_equal(r->rounds_done, 4);
	assert_int_equal(r->nhops, 2);
	assert_int_equal(sends_at(w, 7, IPPROTO_ICMP, at, 16), 4);
	assert_int_equal(sends_at(w, 8, IPPROTO_ICMP, at, 16), 1);
	assert_int_equal(sends_at(w, 30, IPPROTO_ICMP, at, 16), 1);
	assert_int_equal(nrb_sock_fake_nsent(w->fake), 30 + 3 * 7);
	free(r);
	free_world(w);
}

/* A 10-hop path whose hops 3..10 sit 400 ms behind fast hops 1 and 2, rounds every
 * 250 ms (the standard runbook's fast pace).  Round 2 leaves before hop 3's first answer
 * is back, so it probes five TTLs past hop 2 (--max-unknown); once the far answers are in
 * (400 ms) rounds go to the destination again.  mtr never cut its 2 s wait, so nothing
 * far is counted lost, but the limit used to stay at 7: hops 8..10 got round 1 only. */
static void test_mtr_slow_far_hops(void **state)
{
	struct world *w = setup_world();
	struct nrb_mtr_result *r = calloc(1, sizeof *r);
	struct nrb_mtr_req q;

	(void)state;
	assert_non_null(r);
	w->path_len = 10;
	w->slow_from = 3;
	w->slow_us = 400000;
	memset(&q, 0, sizeof q);
	req_for(&q.trace, NRB_PROTO_ICMP, 0);
	q.rounds = 6;
	q.interval_us = 250000;
	assert_int_equal(nrb_mtr_add(w->sess, &q, r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 60000000), 0);
	assert_int_equal(r->rounds_done, 6);
	assert_int_equal(r->dest_ttl, 10);
	assert_int_equal(r->nhops, 10);
	for (int t = 1; t <= 10; t++) {
		/* rounds 1 and 3..6 reach every hop, round 2 stops at TTL 7 */
		assert_int_equal(r->hops[t - 1].sent, t <= 7 ? 6 : 5);
		assert_int_equal(r->hops[t - 1].received, r->hops[t - 1].sent);
	}
	assert_true(r->hops[9].dest);
	free(r);
	free_world(w);
}

/* The slow interval must be longer than the fast one. */
static void test_mtr_bad_slow_interval(void **state)
{
	struct world *w = setup_world();
	struct nrb_mtr_result *r = calloc(1, sizeof *r);
	struct nrb_mtr_req q;
	char err[128];

	(void)state;
	assert_non_null(r);
	memset(&q, 0, sizeof q);
	req_for(&q.trace, NRB_PROTO_ICMP, 0);
	q.rounds = 3;
	q.interval_us = 500000;
	q.slow_interval_us = 500000;
	assert_int_equal(nrb_mtr_add(w->sess, &q, r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "slow interval"));
	assert_int_equal(nrb_sock_fake_nsent(w->fake), 0);
	free(r);
	free_world(w);
}

/* The outcome logged for size in round (0: any round), or NULL. */
static const char *pmtu_outcome(const struct nrb_pmtu_result *r, int size, int round)
{
	const char *last = NULL;

	for (int i = 0; i < r->nprobes; i++)
		if (r->probes[i].size == size && (!round || r->probes[i].round == round))
			last = r->probes[i].result;
	return last;
}

static struct world *pmtu_world(int narrow, int silent, int lossy, struct nrb_pmtu_result *r)
{
	struct world *w = setup_world();
	struct nrb_pmtu_req q;

	w->narrow = narrow;
	w->narrow_silent = silent;
	w->lossy = lossy;
	memset(&q, 0, sizeof q);
	nrb_pkt_addr_from_string(&q.dst, SERVER);
	q.timeout_us = 500000;
	assert_int_equal(nrb_pmtu_add(w->sess, &q, r, NULL, 0), 0);
	return w;
}

static void test_pmtu_frag_needed_and_blackhole(void **state)
{
	struct nrb_pmtu_result r;

	(void)state;
	for (int silent = 0; silent <= 1; silent++) {
		struct world *w = pmtu_world(1, silent, 0, &r);
		uint64_t t0 = w->now;

		assert_int_equal(nrb_sess_run(w->sess, 120000000), 0);
		assert_int_equal(r.local_mtu, 1500);
		assert_int_equal(r.path_mtu, 1280);
		/* round 1 tries the smallest and the largest size (and 4 between) */
		assert_string_equal(pmtu_outcome(&r, 68, 1), "passed");
		assert_int_equal(r.probes[0].size, 68);
		assert_int_equal(r.probes[1].size, 1500);
		assert_int_equal(r.random_losses, 0);
		if (!silent) {
			assert_string_equal(r.status, "frag_needed");
			assert_true(r.has_reported);
			assert_int_equal(r.reported_mtu, 1280);
			assert_addr(&r.reported_from, HOPS[1]);
			assert_string_equal(pmtu_outcome(&r, 1500, 1), "frag_needed");
			/* the reported MTU is tried in round 2, and passes: settled */
			assert_string_equal(pmtu_outcome(&r, 1280, 2), "passed");
			assert_int_equal(r.rounds, 2);
			assert_int_equal(r.smallest_lost, 0);
			assert_false(r.located);
		} else {
			assert_string_equal(r.status, "blackhole");
			assert_false(r.has_reported);
			assert_string_equal(pmtu_outcome(&r, 1500, 1), "lost");
			assert_int_equal(r.smallest_lost, 1281);
			assert_true(r.confirmed);
			/* hop 2 still answers 1281-byte probes with "time exceeded", hop 3
			 * answers only small ones: the narrow link is between them */
			assert_true(r.located);
			assert_int_equal(r.hop, 2);
			assert_addr(&r.hop_addr, HOPS[1]);
			assert_int_equal(r.next_hop, 3);
			assert_addr(&r.next_hop_addr, HOPS[2]);
			/* rounds, not sizes, cost a timeout: 1432 sizes settle in a few */
			assert_in_range(r.rounds, 4, 7);
			assert_true(w->now - t0 < (uint64_t)(r.rounds + 1) * 500000 + 500000);
		}
		/* every probe carried DF */
		for (size_t i = 0; i < nrb_sock_fake_nsent(w->fake); i++)
			assert_int_equal(nrb_sock_fake_sent_at(w->fake, i)->data[6] & 0x40, 0x40);
		free_world(w);
	}
}

/* Random loss is not a blackhole: a size lost once and then seen passing, or lost while a
 * larger one passes, must not end as "blackhole". */
static void test_pmtu_random_loss(void **state)
{
	struct nrb_pmtu_result r;
	struct world *w;

	(void)state;
	/* every second probe past hop 2 lost: each size has two copies, one gets through */
	w = pmtu_world(0, 0, 1, &r);
	assert_int_equal(nrb_sess_run(w->sess, 120000000), 0);
	assert_string_equal(r.status, "ok");
	assert_int_equal(r.path_mtu, 1500);
	assert_int_equal(r.smallest_lost, 0);
	free_world(w);

	/* both copies of 1500 lost in round 1 (and the next two): the old binary search
	 * called this a blackhole at 1500; the confirming round sees 1500 pass */
	w = pmtu_world(0, 0, 0, &r);
	w->drop_size = 1500;
	w->drop_n = 4;
	assert_int_equal(nrb_sess_run(w->sess, 120000000), 0);
	assert_string_equal(r.status, "ok");
	assert_int_equal(r.path_mtu, 1500);
	assert_int_equal(r.smallest_lost, 0);
	assert_true(r.random_losses >= 1);
	assert_string_equal(pmtu_outcome(&r, 1500, 1), "lost");
	assert_string_equal(pmtu_outcome(&r, 1500, 0), "passed");
	free_world(w);

	/* every size from 1214 to 1500 loses its first two copies: the search closes on a
	 * false boundary, the confirming round sees it pass, and the search goes on -- and
	 * must still try 1500 itself, not stop at the largest size its spread reached */
	w = pmtu_world(0, 0, 0, &r);
	w->drop_from = 1214;
	w->drop_to = 1500;
	assert_int_equal(nrb_sess_run(w->sess, 120000000), 0);
	assert_string_equal(r.status, "ok");
	assert_int_equal(r.path_mtu, 1500);
	assert_true(r.rounds <= 12);
	free_world(w);

	/* a real blackhole behind a lossy link is still one, and still located */
	w = pmtu_world(1, 1, 1, &r);
	assert_int_equal(nrb_sess_run(w->sess, 120000000), 0);
	assert_string_equal(r.status, "blackhole");
	assert_int_equal(r.path_mtu, 1280);
	assert_int_equal(r.hop, 2);
	free_world(w);
}

static void test_pmtu_bad_input(void **state)
{
	struct world *w = setup_world();
	struct nrb_pmtu_result r;
	struct nrb_pmtu_req q;
	char err[128];

	(void)state;
	memset(&q, 0, sizeof q);
	nrb_pkt_addr_from_string(&q.dst, SERVER);
	q.max_ttl = NRB_PMTU_MAX_TTL + 1;
	assert_int_equal(nrb_pmtu_add(w->sess, &q, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "max_ttl"));
	q.max_ttl = 0;
	q.tries = 6;
	assert_int_equal(nrb_pmtu_add(w->sess, &q, &r, err, sizeof err), -EINVAL);
	q.tries = 0;
	q.min_size = 67;
	assert_int_equal(nrb_pmtu_add(w->sess, &q, &r, err, sizeof err), -EINVAL);
	free_world(w);
}

static void test_rtt_stats_and_rto(void **state)
{
	struct nrb_rtt_stats st;
	struct nrb_rto rto;

	(void)state;
	memset(&st, 0, sizeof st);
	/* 1, 2, 4: mean 7/3; sample variance ((4/3)^2+(1/3)^2+(5/3)^2)/2 = 7/3;
	 * population 14/9; jitter (1 + 2) / 2 = 1.5 */
	nrb_rtt_add(&st, 1.0);
	nrb_rtt_add(&st, 2.0);
	nrb_rtt_add(&st, 4.0);
	assert_true(fabs(st.mean - 7.0 / 3.0) < 1e-9);
	assert_true(fabs(nrb_rtt_stddev(&st) - sqrt(7.0 / 3.0)) < 1e-9);
	assert_true(fabs(nrb_rtt_pstddev(&st) - sqrt(14.0 / 9.0)) < 1e-9);
	assert_true(fabs(st.jitter - 1.5) < 1e-9);
	assert_true(st.min == 1.0 && st.max == 4.0 && st.last == 4.0);
	nrb_rto_init(&rto, 100, 10000);
	assert_int_equal(nrb_rto_get(&rto), 10000);
	nrb_rto_sample(&rto, 1000); /* srtt 1000, rttvar 500: 3000 */
	assert_int_equal(nrb_rto_get(&rto), 3000);
	nrb_rto_sample(&rto, 10);   /* rttvar (1500+990)/4 = 622, srtt (7000+10)/8 = 876 */
	assert_int_equal(nrb_rto_get(&rto), 876 + 4 * 622);
}

static void test_err_kinds(void **state)
{
	(void)state;
	assert_string_equal(nrb_sess_err_kind(AF_INET, 3, 13, NRB_ERR_ADMIN_PROHIB), "admin_prohibited");
	assert_string_equal(nrb_sess_err_kind(AF_INET6, 1, 6, NRB_ERR_ADMIN_PROHIB), "reject_route");
	assert_string_equal(nrb_sess_err_kind(AF_INET6, 1, 0, NRB_ERR_NET_UNREACH), "no_route");
	assert_string_equal(nrb_sess_err_kind(AF_INET6, 1, 3, NRB_ERR_HOST_UNREACH), "address_unreachable");
	assert_string_equal(nrb_sess_err_kind(AF_INET, 3, 4, NRB_ERR_FRAG_NEEDED), "frag_needed");
	assert_string_equal(nrb_sess_err_kind(AF_INET, 11, 0, NRB_ERR_TTL_EXCEEDED), "time_exceeded");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_icmp_four_hops),
		cmocka_unit_test(test_trace_tcp_filter_after_hop2),
		cmocka_unit_test(test_trace_slow_far_hops),
		cmocka_unit_test(test_trace_silent_tail_one_window),
		cmocka_unit_test(test_trace_tcp_reaches_with_synack),
		cmocka_unit_test(test_three_protocols_at_once),
		cmocka_unit_test(test_trace_window_bound),
		cmocka_unit_test(test_trace_burst_short_path),
		cmocka_unit_test(test_tcp_syn_probe),
		cmocka_unit_test(test_bad_input_sends_nothing),
		cmocka_unit_test(test_ping_paced),
		cmocka_unit_test(test_tcp_degraded_without_raw),
		cmocka_unit_test(test_mtr_rounds_and_loss),
		cmocka_unit_test(test_mtr_slows_down_at_a_limiting_hop),
		cmocka_unit_test(test_mtr_fast_pace_without_limit),
		cmocka_unit_test(test_mtr_two_protocols_share_the_pace),
		cmocka_unit_test(test_mtr_bad_slow_interval),
		cmocka_unit_test(test_mtr_max_unknown),
		cmocka_unit_test(test_mtr_slow_far_hops),
		cmocka_unit_test(test_progress_hook),
		cmocka_unit_test(test_pmtu_frag_needed_and_blackhole),
		cmocka_unit_test(test_pmtu_random_loss),
		cmocka_unit_test(test_pmtu_bad_input),
		cmocka_unit_test(test_rtt_stats_and_rto),
		cmocka_unit_test(test_err_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
