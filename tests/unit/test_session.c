/* Unit tests for the probe session's sockets and identifiers (core/probe/session.c),
 * through the fake socket seam on a fake clock, over the same fake 4-hop IPv4 path as
 * test_task.c (client 192.0.2.2, routers 192.0.2.1, 198.51.100.2, 198.51.100.6, server
 * 203.0.113.10 at TTL 4):
 *  - a late reply to a probe of an earlier session (a ping's echo reply that came after
 *    its timeout) is not taken for an answer in the next session of the process;
 *  - without raw sockets, UDP probes each have a socket of their own, and a datagram
 *    from the target on it is that probe's answer, however the kernel hands it over
 *    (no UDP header) and in whatever order it comes beside the ICMP errors;
 *  - without a ping socket either, UDP and TCP probes still run (they need none);
 *  - a ping larger than the MTU without DF is sent by the kernel (which fragments it),
 *    one with DF is not. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
	int raw_err;                  /* open_raw fails with -raw_err (0: succeeds) */
	int no_ping;                  /* open_icmp fails: neither raw nor ping socket */
	int silent;                   /* the network answers nothing (records only) */
	int mtu;                      /* header-included sends above this: EMSGSIZE */
	uint8_t old[8][128];           /* probes of an earlier session, as sent (IPv4) */
	size_t old_len[8];
	int nold;
	int replay;                   /* on the first probe, answer every old one now */
	int kernel_ip_sends;          /* sends the kernel wrote the IP header of */
	int fds[64];                  /* fds degraded UDP probes went out on */
	int nfds;
};

#include "fake_path.h"

static int w_open_raw(void *ctx, int af, int proto, char *err, size_t errlen)
{
	struct world *w = ctx;

	(void)proto;
	(void)err;
	(void)errlen;
	if (w->raw_err)
		return -w->raw_err;
	return w->ops.open(w->ops.ctx, af, SOCK_DGRAM, 0);
}

static int w_open_icmp(void *ctx, int af, enum nrb_priv_kind *kind, char *err, size_t errlen)
{
	struct world *w = ctx;

	(void)err;
	(void)errlen;
	*kind = NRB_PRIV_NONE;
	if (w->no_ping)
		return -EACCES;
	*kind = w->raw_err ? NRB_PRIV_DGRAM : NRB_PRIV_RAW;
	return w->ops.open(w->ops.ctx, af, SOCK_DGRAM, 0);
}

/* What the server (or hop ttl) answers to the IPv4 probe pkt (len bytes, IP header
 * first), on the raw ICMP socket: an echo reply or port unreachable from the server,
 * time exceeded from a router. */
static void answer_ip(struct world *w, const uint8_t *pkt, size_t len, int ttl, uint64_t delay)
{
	uint8_t body[FAKE_PKT_MAX], out[FAKE_PKT_MAX];
	struct nrb_pkt_info p;
	int icmp_fd = nrb_sess_fd(w->sess, AF_INET, NRB_PROTO_ICMP);
	size_t n, q = len < 28 ? len : 28;

	assert_int_equal(nrb_pkt_parse_ip(pkt, len, &p), 0);
	memset(body, 0, 8);
	if (ttl < 4) {
		body[0] = 11;
		memcpy(body + 8, pkt, q);
		n = wrap(out, HOPS[ttl - 1], IPPROTO_ICMP, (uint8_t)(65 - ttl), body, 8 + q);
	} else if (p.proto == IPPROTO_ICMP) {
		memcpy(body, pkt + 20, len - 20);
		body[0] = 0; /* echo reply */
		n = wrap(out, SERVER, IPPROTO_ICMP, 61, body, len - 20);
	} else {
		body[0] = 3;
		body[1] = 3; /* port unreachable */
		memcpy(body + 8, pkt, q);
		n = wrap(out, SERVER, IPPROTO_ICMP, 61, body, 8 + q);
	}
	inject(w, icmp_fd, delay, out, n);
}

/* A degraded UDP probe (payload only, on a socket of its own) at TTL ttl: time exceeded
 * through the error queue from a router (it hands back our payload), or an answer from
 * the server on the ordinary receive path -- the server echoes the payload, as the lab's
 * UDP service on port 9999 does.  The answer comes before the routers' errors. */
static void answer_dgram(struct world *w, const struct nrb_sock_fake_sent *s)
{
	struct sockaddr_in *off, *from;
	struct nrb_sock_msg m;

	memset(&m, 0, sizeof m);
	m.buf = s->data;
	m.len = s->len;
	m.from = s->to;
	m.fromlen = sizeof(struct sockaddr_in);
	if (s->ttl < 4) {
		m.is_error = 1;
		m.ttl = -1;
		m.ee.ee_errno = EHOSTUNREACH;
		m.ee.ee_origin = SO_EE_ORIGIN_ICMP;
		m.ee.ee_type = 11;
		off = (struct sockaddr_in *)&m.offender;
		off->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, HOPS[s->ttl - 1], &off->sin_addr), 1);
		inject_msg(w, s->fd, 1000u * (unsigned)s->ttl, &m);
		return;
	}
	from = (struct sockaddr_in *)&m.from;
	assert_int_equal(from->sin_family, AF_INET);
	m.ttl = 61;
	inject_msg(w, s->fd, 500, &m);
}

/* An earlier session's probe, answered now in the current session: its echo reply or
 * port unreachable, late. */
static void replay_old(struct world *w)
{
	for (int i = 0; i < w->nold; i++)
		answer_ip(w, w->old[i], w->old_len[i], 64, 100);
	w->replay = 0;
}

/* The fake network. */
static int network(struct nrb_sock_fake *fake, void *rctx, const struct nrb_sock_fake_sent *s)
{
	struct world *w = rctx;
	int icmp_fd = nrb_sess_fd(w->sess, AF_INET, NRB_PROTO_ICMP);
	uint8_t pkt[FAKE_PKT_MAX];
	size_t n;

	(void)fake;
	if (w->replay)
		replay_old(w);
	if (w->raw_err) {
		/* degraded: only UDP probes here, each on its own socket */
		assert_true(s->fd != icmp_fd);
		if (w->nfds < 64)
			w->fds[w->nfds++] = s->fd;
		if (!w->silent)
			answer_dgram(w, s);
		return 0;
	}
	if (s->fd == icmp_fd) {
		/* the kernel writes the IP header (and fragments): the ICMP message only */
		struct nrb_pkt_ip ip;

		w->kernel_ip_sends++;
		assert_int_equal(s->data[0], 8);
		memset(&ip, 0, sizeof ip);
		assert_int_equal(nrb_pkt_addr_from_string(&ip.src, "192.0.2.2"), 0);
		assert_int_equal(nrb_pkt_addr_from_string(&ip.dst, SERVER), 0);
		ip.ttl = (uint8_t)s->ttl;
		assert_int_equal(nrb_pkt_build_ipv4(pkt, sizeof pkt, &ip, IPPROTO_ICMP, s->len), 20);
		memcpy(pkt + 20, s->data, s->len);
		n = 20 + s->len;
		if (!w->silent)
			answer_ip(w, pkt, n, s->ttl, 4000);
		return 0;
	}
	/* the header-included socket: the whole packet */
	assert_int_equal(s->data[0], 0x45);
	if (w->mtu && (int)s->len > w->mtu)
		return -EMSGSIZE;
	if (w->silent) {
		if (w->nold < 8 && s->len <= sizeof w->old[0]) {
			memcpy(w->old[w->nold], s->data, s->len);
			w->old_len[w->nold++] = s->len;
		}
		return 0;
	}
	answer_ip(w, s->data, s->len, s->data[8], 1000u * (s->data[8] < 4 ? s->data[8] : 4));
	return 0;
}

/* A session with the identifiers it picks itself (no opts->sport, opts->icmp_id), as
 * every session nrb runs. */
static void new_session(struct world *w)
{
	struct nrb_sess_opts o;

	memset(&o, 0, sizeof o);
	o.ops = &w->ops;
	o.open = &w->opener;
	o.clock = &w->clock;
	assert_int_equal(nrb_pkt_addr_from_string(&o.src4, "192.0.2.2"), 0);
	assert_int_equal(nrb_sess_new(&o, &w->sess, NULL, 0), 0);
}

static struct world *setup_world(void)
{
	struct world *w = calloc(1, sizeof *w);

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
	nrb_sock_fake_set_responder(w->fake, network, w);
	new_session(w);
	return w;
}

static void trace_req(struct nrb_trace_req *q, enum nrb_proto p, uint16_t port)
{
	memset(q, 0, sizeof *q);
	assert_int_equal(nrb_pkt_addr_from_string(&q->dst, SERVER), 0);
	q->proto = p;
	q->port = port;
	q->max_ttl = 8;
	q->queries = 1;
	q->timeout_us = 1000000;
}

static void port_req(struct nrb_port_req *q, enum nrb_proto p, uint16_t port)
{
	memset(q, 0, sizeof *q);
	assert_int_equal(nrb_pkt_addr_from_string(&q->dst, SERVER), 0);
	q->proto = p;
	q->port = port;
	q->timeout_us = 1000000;
}

static void ping_req(struct nrb_ping_req *q, int count, int size, int df, uint64_t timeout_us)
{
	memset(q, 0, sizeof *q);
	assert_int_equal(nrb_pkt_addr_from_string(&q->dst, SERVER), 0);
	q->count = count;
	q->size = size;
	q->df = df;
	q->interval_us = 10000;
	q->timeout_us = timeout_us;
}

/* The path as a trace must see it: time exceeded from the three routers, the server's
 * answer at TTL 4. */
static void assert_path(const struct nrb_trace_result *r, const char *answer)
{
	assert_true(r->reached);
	assert_int_equal(r->reached_ttl, 4);
	assert_string_equal(r->dest_answer, answer);
	for (int t = 1; t <= 3; t++) {
		assert_int_equal(r->hops[t - 1].received, 1);
		assert_string_equal(r->hops[t - 1].replies[0].kind, "time_exceeded");
		assert_addr(&r->hops[t - 1].replies[0].from, HOPS[t - 1]);
	}
}

/* The lab's high_latency case: a ping with a timeout shorter than the RTT leaves, its
 * session ends, and the echo replies arrive while the next session traces.  They carry
 * the old session's echo id and sequence numbers (and a late port unreachable of a UDP
 * probe its source port and IP ID), and must match nothing. */
static void test_late_reply_of_earlier_session_ignored(void **state)
{
	static const enum nrb_proto protos[] = {NRB_PROTO_ICMP, NRB_PROTO_UDP};
	struct world *w = setup_world();
	struct nrb_trace_result tr;
	struct nrb_ping_result pr;
	struct nrb_port_result ur;
	struct nrb_sess_stats st;
	struct nrb_trace_req q;
	struct nrb_ping_req pq;
	struct nrb_port_req uq;

	(void)state;
	for (int i = 0; i < 2; i++) {
		/* the earlier session: probes nobody answers in time */
		w->silent = 1;
		w->nold = 0;
		if (protos[i] == NRB_PROTO_ICMP) {
			ping_req(&pq, 3, 56, 0, 10000);
			assert_int_equal(nrb_ping_add(w->sess, &pq, &pr, NULL, 0), 0);
		} else {
			port_req(&uq, NRB_PROTO_UDP, 33434);
			assert_int_equal(nrb_port_add(w->sess, &uq, &ur, NULL, 0), 0);
		}
		assert_int_equal(nrb_sess_run(w->sess, 10000000), 0);
		if (protos[i] == NRB_PROTO_ICMP) {
			assert_int_equal(pr.received, 0);
			nrb_ping_result_free(&pr);
		} else {
			assert_string_equal(ur.status, "open_filtered");
		}
		assert_int_equal(w->nold, protos[i] == NRB_PROTO_ICMP ? 3 : 1);
		nrb_sess_free(w->sess);

		/* the next one: a trace, and the old answers arrive before any of its own */
		new_session(w);
		w->silent = 0;
		w->replay = 1;
		trace_req(&q, protos[i], 33434);
		q.max_ttl = 4; /* every answer of its own matches: the unmatched are the old */
		assert_int_equal(nrb_trace_add(w->sess, &q, &tr, NULL, 0), 0);
		assert_int_equal(nrb_sess_run(w->sess, 10000000), 0);
		assert_path(&tr, protos[i] == NRB_PROTO_ICMP ? "echo_reply" : "port_unreachable");
		nrb_sess_stats(w->sess, &st);
		assert_int_equal(st.unmatched, (uint64_t)w->nold);
		nrb_sess_free(w->sess);
		new_session(w);
	}
	free_world(w);
}

/* Without raw sockets a UDP answer arrives as bare payload (the kernel took the UDP
 * header off): it is the answer of the probe whose socket it came to, even when the
 * payload does not parse as a UDP header (the echo of our serial: bytes 4-5 zero). */
static void test_degraded_udp_answer(void **state)
{
	struct world *w = setup_world();
	struct nrb_port_result r;
	struct nrb_port_req q;
	struct nrb_sess_stats st;

	(void)state;
	w->raw_err = EPERM;
	port_req(&q, NRB_PROTO_UDP, 9999);
	assert_int_equal(nrb_port_add(w->sess, &q, &r, NULL, 0), 0);
	assert_non_null(r.degraded);
	assert_non_null(strstr(r.degraded, "CAP_NET_RAW"));
	assert_int_equal(nrb_sess_run(w->sess, 10000000), 0);
	assert_string_equal(r.status, "answer");
	assert_int_equal(r.bytes, 8);
	assert_addr(&r.from, SERVER);
	assert_int_equal(r.reply_ttl, 61);
	assert_true(r.rtt_ms > 0.49 && r.rtt_ms < 0.51);
	nrb_sess_stats(w->sess, &st);
	assert_int_equal(st.malformed, 0);
	free_world(w);
}

/* A degraded UDP trace to a port that answers: probes of every TTL go to the same port,
 * and the server's answers (TTL 4 and beyond) come back before the routers' errors of
 * TTL 1-3.  Each answer is matched by the socket it came to, never to the oldest probe
 * in flight (which would put the server at TTL 1). */
static void test_degraded_udp_trace_matches_by_socket(void **state)
{
	struct world *w = setup_world();
	struct nrb_trace_result r;
	struct nrb_trace_req q;

	(void)state;
	w->raw_err = EPERM;
	trace_req(&q, NRB_PROTO_UDP, 9999);
	assert_int_equal(nrb_trace_add(w->sess, &q, &r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 10000000), 0);
	assert_path(&r, "udp_answer");
	assert_non_null(r.degraded);
	/* the probes in flight together each had a socket */
	assert_true(w->nfds >= 4);
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			assert_true(w->fds[i] != w->fds[j]);
	free_world(w);
}

/* No raw sockets and no ping socket (net.ipv4.ping_group_range excludes the user, the
 * default): UDP probes need neither and run; TCP has the connect() fallback (the add
 * says -EPERM with the reason); only ICMP probes cannot run. */
static void test_no_ping_socket_udp_tcp_still_run(void **state)
{
	struct world *w = setup_world();
	struct nrb_trace_result tr;
	struct nrb_port_result ur, sr;
	struct nrb_ping_result pr;
	struct nrb_trace_req q;
	struct nrb_port_req uq;
	struct nrb_ping_req pq;
	char err[256];

	(void)state;
	w->raw_err = EPERM;
	w->no_ping = 1;
	port_req(&uq, NRB_PROTO_UDP, 9999);
	assert_int_equal(nrb_port_add(w->sess, &uq, &ur, err, sizeof err), 0);
	trace_req(&q, NRB_PROTO_UDP, 9999);
	assert_int_equal(nrb_trace_add(w->sess, &q, &tr, err, sizeof err), 0);
	port_req(&uq, NRB_PROTO_TCP, 443);
	assert_int_equal(nrb_port_add(w->sess, &uq, &sr, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "no CAP_NET_RAW"));
	assert_non_null(strstr(err, "connect()"));
	assert_int_equal(nrb_sess_fd(w->sess, AF_INET, NRB_PROTO_ICMP), -1);
	ping_req(&pq, 1, 56, 0, 1000000);
	assert_int_equal(nrb_ping_add(w->sess, &pq, &pr, err, sizeof err), -EACCES);
	assert_int_equal(nrb_sess_run(w->sess, 10000000), 0);
	assert_string_equal(ur.status, "answer");
	assert_path(&tr, "udp_answer");
	free_world(w);
}

/* A raw socket refused for another reason than EPERM (a security module answers
 * EACCES): still degraded, with that reason, and TCP still falls back. */
static void test_raw_refused_otherwise_names_reason(void **state)
{
	struct world *w = setup_world();
	struct nrb_port_result sr;
	struct nrb_port_req q;
	char err[256];

	(void)state;
	w->raw_err = EACCES;
	port_req(&q, NRB_PROTO_TCP, 443);
	assert_int_equal(nrb_port_add(w->sess, &q, &sr, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "no raw socket (Permission denied)"));
	assert_non_null(strstr(err, "connect()"));
	assert_int_equal(nrb_sock_fake_nsent(w->fake), 0);
	free_world(w);
}

/* ping -s 2000 over a 1500-byte interface: the header-included socket refuses it
 * (EMSGSIZE: the kernel never fragments those), so without DF the request goes through
 * the raw ICMP socket, where the kernel writes the IP header and fragments; with DF it
 * is an error and nothing else is tried. */
static void test_ping_larger_than_mtu(void **state)
{
	struct world *w = setup_world();
	struct nrb_ping_result r;
	struct nrb_ping_req q;

	(void)state;
	w->mtu = 1500;
	ping_req(&q, 2, 2000, 0, 1000000);
	assert_int_equal(nrb_ping_add(w->sess, &q, &r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 10000000), 0);
	assert_int_equal(r.sent, 2);
	assert_int_equal(r.received, 2);
	assert_int_equal(r.send_errno, 0);
	assert_int_equal(r.reply_ttl, 61);
	assert_int_equal(w->kernel_ip_sends, 2);
	for (size_t i = 0; i < nrb_sock_fake_nsent(w->fake); i++) {
		const struct nrb_sock_fake_sent *s = nrb_sock_fake_sent_at(w->fake, i);

		/* refused whole packets, then the ICMP message alone at TTL 64 */
		assert_int_equal(s->len, i % 2 ? 8 + 2000 : 20 + 8 + 2000);
		if (i % 2)
			assert_int_equal(s->ttl, 64);
	}
	nrb_ping_result_free(&r);
	nrb_sess_free(w->sess);

	new_session(w);
	w->kernel_ip_sends = 0;
	ping_req(&q, 2, 2000, 1, 1000000);
	assert_int_equal(nrb_ping_add(w->sess, &q, &r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 10000000), 0);
	assert_int_equal(r.sent, 0);
	assert_int_equal(r.send_errno, EMSGSIZE);
	assert_int_equal(w->kernel_ip_sends, 0);
	nrb_ping_result_free(&r);

	/* small pings without DF still go out whole, through the header-included socket */
	nrb_sess_free(w->sess);
	new_session(w);
	ping_req(&q, 2, 56, 0, 1000000);
	assert_int_equal(nrb_ping_add(w->sess, &q, &r, NULL, 0), 0);
	assert_int_equal(nrb_sess_run(w->sess, 10000000), 0);
	assert_int_equal(r.received, 2);
	assert_int_equal(w->kernel_ip_sends, 0);
	nrb_ping_result_free(&r);
	free_world(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_late_reply_of_earlier_session_ignored),
		cmocka_unit_test(test_degraded_udp_answer),
		cmocka_unit_test(test_degraded_udp_trace_matches_by_socket),
		cmocka_unit_test(test_no_ping_socket_udp_tcp_still_run),
		cmocka_unit_test(test_raw_refused_otherwise_names_reason),
		cmocka_unit_test(test_ping_larger_than_mtu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
