/* Unit tests for core/net/sock: the fake (records sends, injects timed replies, drives
 * an nrb_loop on a fake clock) and the system ops on loopback only (reply TTL cmsg,
 * IP_RECVERR port unreachable parsed by nrb_pkt_parse_recverr). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop/loop.h"
#include "net/pkt.h"
#include "net/sock.h"
#include "util/util.h"

struct world {
	uint64_t now;                 /* fake clock */
	struct nrb_clock clock;       /* loop clock over now */
	struct nrb_loop *loop;        /* loop on the fake clock */
	struct nrb_sock_fake *fake;   /* fake sockets */
	struct nrb_sock_ops ops;      /* bound to fake */
	int fd;                       /* the probe socket */
	struct nrb_pkt_sig probe;     /* signature of the probe sent */
	uint64_t sent_at, got_at;     /* times */
	int matched;                  /* replies that matched the probe */
	int timeouts;                 /* probes that timed out */
	uint64_t timeout_id;          /* the probe's timeout timer */
	int done;                     /* stop flag */
};

static uint64_t w_now(void *ctx)
{
	return ((struct world *)ctx)->now;
}

static void w_sleep(void *ctx, uint64_t us)
{
	((struct world *)ctx)->now += us;
}

static int64_t pump(struct nrb_loop *l, void *arg)
{
	(void)l;
	nrb_sock_fake_pump(((struct world *)arg)->fake);
	return NRB_NOMORE;
}

/* A pretend target 2.5 ms away: answers every ICMPv4 echo request with a reply. */
static int responder(struct nrb_sock_fake *fake, void *rctx,
                     const struct nrb_sock_fake_sent *sent)
{
	struct world *w = rctx;
	struct nrb_pkt_info req;
	struct nrb_sock_msg m;
	uint8_t reply[256];

	assert_int_equal(nrb_pkt_parse_l4(AF_INET, IPPROTO_ICMP, sent->data, sent->len, &req), 0);
	assert_int_equal(req.kind, NRB_PKT_ECHO_REQUEST);
	assert_true(sent->len <= sizeof reply);
	memcpy(reply, sent->data, sent->len);
	reply[0] = 0; /* echo reply; checksum not checked by the parser */
	memset(&m, 0, sizeof m);
	m.buf = reply;
	m.len = sent->len;
	memcpy(&m.from, &sent->to, sizeof m.from);
	m.fromlen = sizeof(struct sockaddr_in);
	m.ttl = 61;
	assert_int_equal(nrb_sock_fake_inject(fake, sent->fd, w->now + 2500, &m), 0);
	assert_int_equal(nrb_loop_timer_add(w->loop, 2500, pump, w, NULL), 0);
	return 0;
}

static int64_t probe_timeout(struct nrb_loop *l, void *arg)
{
	struct world *w = arg;

	w->timeouts++;
	nrb_loop_inflight_done(l);
	return NRB_NOMORE;
}

static int send_probe(struct nrb_loop *l, void *arg)
{
	struct world *w = arg;
	struct nrb_pkt_probe p;
	struct sockaddr_in to;
	uint8_t buf[64];
	int n, ttl = 5;

	memset(&p, 0, sizeof p);
	assert_int_equal(nrb_pkt_addr_from_string(&p.ip.dst, "203.0.113.9"), 0);
	p.ip.src = p.ip.dst;
	p.proto = IPPROTO_ICMP;
	p.icmp_id = 0x4242;
	p.icmp_seq = 7;
	n = nrb_pkt_build_icmp_echo(buf, sizeof buf, AF_INET, p.icmp_id, p.icmp_seq, "nrb", 3,
	                            NULL);
	assert_int_equal(n, 11);
	assert_int_equal(nrb_pkt_sig_from_probe(&p, &w->probe), 0);
	memset(&to, 0, sizeof to);
	to.sin_family = AF_INET;
	memcpy(&to.sin_addr, p.ip.dst.bytes, 4);
	assert_int_equal(w->ops.setopt(w->ops.ctx, w->fd, SOL_IP, IP_TTL, &ttl, sizeof ttl), 0);
	w->sent_at = w->now;
	/* like a real probe: a timeout keeps the loop running until the reply or 1 s */
	assert_int_equal(nrb_loop_timer_add(l, 1000000, probe_timeout, w, &w->timeout_id), 0);
	return w->ops.send(w->ops.ctx, w->fd, buf, (size_t)n, (struct sockaddr *)&to, sizeof to) ==
	       n ? 0 : -EIO;
}

static void on_read(struct nrb_loop *l, int fd, uint32_t ev, void *arg)
{
	struct world *w = arg;
	struct nrb_sock_msg m;
	struct nrb_pkt_info r;
	struct nrb_pkt_sig s;
	uint8_t buf[256];

	(void)ev;
	memset(&m, 0, sizeof m);
	m.buf = buf;
	m.cap = sizeof buf;
	while (w->ops.recv(w->ops.ctx, fd, &m, 0) >= 0) {
		assert_int_equal(nrb_pkt_parse_l4(AF_INET, IPPROTO_ICMP, buf, m.len, &r), 0);
		assert_int_equal(nrb_pkt_addr_from_sockaddr(&r.src, (struct sockaddr *)&m.from,
		                                            m.fromlen), 0);
		assert_int_equal(nrb_pkt_sig_from_reply(&r, &s), 0);
		if (nrb_pkt_sig_match(&w->probe, &s)) {
			w->matched++;
			w->got_at = m.rx_us;
			assert_int_equal(m.ttl, 61);
			nrb_loop_inflight_done(l);
			assert_int_equal(nrb_loop_timer_cancel(l, w->timeout_id), 0);
			w->done = 1;
		}
	}
}

static void test_fake_drives_loop(void **state)
{
	struct nrb_loop_opts o;
	const struct nrb_sock_fake_sent *s;
	struct nrb_loop_stats st;
	struct world w;
	uint64_t t0;

	(void)state;
	memset(&w, 0, sizeof w);
	w.now = 5000000;
	t0 = w.now;
	w.clock.now_us = w_now;
	w.clock.sleep_us = w_sleep;
	w.clock.ctx = &w;
	memset(&o, 0, sizeof o);
	o.clock = &w.clock;
	assert_int_equal(nrb_loop_new(&o, &w.loop, NULL, 0), 0);
	assert_int_equal(nrb_sock_fake_new(w_now, &w, &w.fake), 0);
	w.ops = nrb_sock_fake_ops(w.fake);
	nrb_sock_fake_set_responder(w.fake, responder, &w);
	w.fd = w.ops.open(w.ops.ctx, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	assert_true(w.fd >= 0);
	assert_int_equal(nrb_loop_fd_add(w.loop, w.fd, NRB_EV_READ, on_read, &w), 0);
	assert_int_equal(nrb_loop_send_queue(w.loop, send_probe, &w, NULL, NULL), 0);
	assert_int_equal(nrb_loop_run(w.loop, &w.done, t0 + 1000000), 0);
	assert_int_equal(w.matched, 1);
	assert_int_equal(w.timeouts, 0);
	assert_int_equal(w.sent_at, t0);
	assert_int_equal(w.got_at, t0 + 2500);
	/* the send log */
	assert_int_equal(nrb_sock_fake_nsent(w.fake), 1);
	s = nrb_sock_fake_sent_at(w.fake, 0);
	assert_non_null(s);
	assert_int_equal(s->ttl, 5);
	assert_int_equal(s->len, 11);
	assert_int_equal(s->data[0], 8);
	assert_int_equal(s->at_us, t0);
	assert_null(nrb_sock_fake_sent_at(w.fake, 1));
	/* a silent target: the probe times out after 1 s and frees its window slot */
	nrb_sock_fake_set_responder(w.fake, NULL, NULL);
	w.done = 0;
	assert_int_equal(nrb_loop_send_queue(w.loop, send_probe, &w, NULL, NULL), 0);
	assert_int_equal(nrb_loop_run(w.loop, &w.done, 0), 0);
	assert_int_equal(w.matched, 1);
	assert_int_equal(w.timeouts, 1);
	assert_int_equal(w.now, w.sent_at + 1000000);
	nrb_loop_stats(w.loop, &st);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.sent, 2);
	assert_int_equal(w.ops.close(w.ops.ctx, w.fd), 0);
	assert_int_equal(w.ops.close(w.ops.ctx, w.fd), -EBADF);
	nrb_sock_fake_free(w.fake);
	nrb_loop_free(w.loop);
}

static int refuse(struct nrb_sock_fake *fake, void *rctx, const struct nrb_sock_fake_sent *s)
{
	(void)fake; (void)rctx; (void)s;
	return -EHOSTUNREACH;
}

static void test_fake_edges(void **state)
{
	struct nrb_sock_fake *f;
	struct nrb_sock_ops ops;
	struct nrb_sock_msg m, got;
	uint8_t data[32], small[4];
	uint64_t now = 100;
	int fd, fd2;

	(void)state;
	assert_int_equal(nrb_sock_fake_new(NULL, NULL, &f), -EINVAL);
	assert_int_equal(nrb_sock_fake_new((uint64_t (*)(void *))NULL, NULL, NULL), -EINVAL);
	assert_int_equal(nrb_sock_fake_new(w_now, &now, &f), 0);
	ops = nrb_sock_fake_ops(f);
	fd = ops.open(ops.ctx, AF_INET, SOCK_DGRAM, 0);
	fd2 = ops.open(ops.ctx, AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0 && fd2 >= 0 && fd != fd2);
	memset(&got, 0, sizeof got);
	got.buf = small;
	got.cap = sizeof small;
	assert_int_equal(ops.recv(ops.ctx, fd, &got, 0), -EAGAIN);
	assert_int_equal(ops.recv(ops.ctx, 9999, &got, 0), -EBADF);
	assert_int_equal(ops.send(ops.ctx, 9999, data, 1, NULL, 0), -EBADF);
	assert_int_equal(ops.setopt(ops.ctx, 9999, SOL_IP, IP_TTL, &fd, sizeof fd), -EBADF);
	memset(data, 0xab, sizeof data);
	memset(&m, 0, sizeof m);
	m.buf = data;
	m.len = sizeof data;
	assert_int_equal(nrb_sock_fake_inject(f, 9999, 0, &m), -EBADF);
	assert_int_equal(nrb_sock_fake_inject(f, fd, 200, &m), 0);   /* data, due 200 */
	m.is_error = 1;
	m.ee.ee_origin = SO_EE_ORIGIN_ICMP;
	m.len = 8;
	assert_int_equal(nrb_sock_fake_inject(f, fd, 150, &m), 0);   /* error, due 150 */
	assert_int_equal(nrb_sock_fake_inject(f, fd2, 150, &m), 0);  /* dropped by close */
	assert_int_equal(nrb_sock_fake_next_due(f), 150);
	/* not due yet: nothing readable */
	assert_int_equal(nrb_sock_fake_pump(f), 0);
	assert_int_equal(ops.recv(ops.ctx, fd, &got, NRB_SOCK_ERRQUEUE), -EAGAIN);
	now = 200;
	assert_int_equal(nrb_sock_fake_pump(f), 3);
	assert_int_equal(nrb_sock_fake_next_due(f), UINT64_MAX);
	/* data and error queues are separate; long data is truncated to cap */
	assert_int_equal(ops.recv(ops.ctx, fd, &got, 0), 4);
	assert_int_equal(got.truncated, 1);
	assert_int_equal(got.is_error, 0);
	assert_int_equal(small[3], 0xab);
	assert_int_equal(ops.recv(ops.ctx, fd, &got, 0), -EAGAIN);
	assert_int_equal(ops.recv(ops.ctx, fd, &got, NRB_SOCK_ERRQUEUE), 4);
	assert_int_equal(got.is_error, 1);
	assert_int_equal(got.ee.ee_origin, SO_EE_ORIGIN_ICMP);
	assert_int_equal(got.rx_us, 200);
	assert_int_equal(ops.close(ops.ctx, fd2), 0);
	/* responder errors become send errors; open failures on demand */
	nrb_sock_fake_set_responder(f, refuse, NULL);
	assert_int_equal(ops.send(ops.ctx, fd, data, 4, NULL, 0), -EHOSTUNREACH);
	nrb_sock_fake_set_responder(f, NULL, NULL);
	assert_int_equal(ops.send(ops.ctx, fd, data, 4, NULL, 0), 4);
	assert_int_equal(nrb_sock_fake_nsent(f), 2); /* the refused one was logged too */
	assert_int_equal(nrb_sock_fake_sent_at(f, 1)->ttl, -1);
	nrb_sock_fake_fail_open(f, EPERM);
	assert_int_equal(ops.open(ops.ctx, AF_INET, SOCK_RAW, 1), -EPERM);
	nrb_sock_fake_fail_open(f, 0);
	/* an injected reply left at free time is released (ASan checks) */
	m.is_error = 0;
	assert_int_equal(nrb_sock_fake_inject(f, fd, 0, &m), 0);
	nrb_sock_fake_free(f);
	nrb_sock_fake_free(NULL);
}

/* ------------------------------------------------------- system, loopback */

static int wait_readable(const struct nrb_sock_ops *ops, int fd, struct nrb_sock_msg *m,
                         int flags)
{
	int i, n;

	for (i = 0; i < 200; i++) { /* at most ~1 s */
		n = ops->recv(ops->ctx, fd, m, flags);
		if (n != -EAGAIN)
			return n;
		usleep(5000);
	}
	return -EAGAIN;
}

static void test_system_loopback_ttl_and_recverr(void **state)
{
	const struct nrb_sock_ops *ops = &nrb_sock_system;
	struct sockaddr_in a, closed;
	socklen_t len = sizeof a;
	struct nrb_sock_msg m;
	struct nrb_pkt_info r;
	struct nrb_pkt_addr lo;
	uint8_t buf[128];
	int s1, s2, s3, on = 1, ttl = 7;

	(void)state;
	s1 = ops->open(ops->ctx, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	s2 = ops->open(ops->ctx, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	s3 = ops->open(ops->ctx, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_true(s1 >= 0 && s2 >= 0 && s3 >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	closed = a;
	assert_int_equal(bind(s1, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(s1, (struct sockaddr *)&a, &len), 0);
	/* a port that was free a moment ago and is closed now */
	assert_int_equal(bind(s3, (struct sockaddr *)&closed, sizeof closed), 0);
	len = sizeof closed;
	assert_int_equal(getsockname(s3, (struct sockaddr *)&closed, &len), 0);
	assert_int_equal(ops->close(ops->ctx, s3), 0);

	/* reply TTL arrives as a cmsg */
	assert_int_equal(ops->setopt(ops->ctx, s1, SOL_IP, IP_RECVTTL, &on, sizeof on), 0);
	assert_int_equal(ops->setopt(ops->ctx, s2, SOL_IP, IP_TTL, &ttl, sizeof ttl), 0);
	assert_int_equal(ops->send(ops->ctx, s2, "ping", 4, (struct sockaddr *)&a, sizeof a), 4);
	memset(&m, 0, sizeof m);
	m.buf = buf;
	m.cap = sizeof buf;
	assert_int_equal(wait_readable(ops, s1, &m, 0), 4);
	assert_int_equal(m.ttl, 7);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(m.from.ss_family, AF_INET);
	assert_true(m.rx_us > 0);

	/* a UDP probe to a closed port: the port unreachable lands on the error queue */
	assert_int_equal(ops->setopt(ops->ctx, s2, SOL_IP, IP_RECVERR, &on, sizeof on), 0);
	assert_int_equal(ops->send(ops->ctx, s2, "probe", 5, (struct sockaddr *)&closed,
	                           sizeof closed), 5);
	assert_int_equal(wait_readable(ops, s2, &m, NRB_SOCK_ERRQUEUE), 5);
	assert_int_equal(m.is_error, 1);
	assert_int_equal(m.ee.ee_origin, SO_EE_ORIGIN_ICMP);
	assert_int_equal(m.ee.ee_type, 3);
	assert_int_equal(m.ee.ee_code, 3);
	assert_int_equal(m.offender.ss_family, AF_INET);
	/* datagram sockets return the payload only: quote the ports from the sockets */
	assert_int_equal(nrb_pkt_parse_recverr(AF_INET, IPPROTO_UDP, &m.ee,
	                                       (struct sockaddr *)&m.offender,
	                                       (struct sockaddr *)&m.from, buf, m.len, &r), 0);
	assert_int_equal(r.err, NRB_ERR_PORT_UNREACH);
	assert_int_equal(nrb_pkt_addr_from_string(&lo, "127.0.0.1"), 0);
	assert_true(nrb_pkt_addr_equal(&r.src, &lo));
	assert_true(nrb_pkt_addr_equal(&r.quote.dst, &lo));
	assert_int_equal(ops->close(ops->ctx, s1), 0);
	assert_int_equal(ops->close(ops->ctx, s2), 0);
	assert_int_equal(ops->close(ops->ctx, s2), -EBADF);
	assert_true(ops->open(ops->ctx, 12345, SOCK_DGRAM, 0) < 0);
	m.buf = NULL;
	assert_int_equal(ops->recv(ops->ctx, 0, &m, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fake_drives_loop),
		cmocka_unit_test(test_fake_edges),
		cmocka_unit_test(test_system_loopback_ttl_and_recverr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
