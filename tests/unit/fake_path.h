/*
 * The fake 4-hop IPv4 path the probe-session tests share (test_task.c, test_session.c):
 * client 192.0.2.2, routers 192.0.2.1, 198.51.100.2, 198.51.100.6, server 203.0.113.10
 * at TTL 4, driven through the fake socket seam on a fake clock.  Header-only, included
 * after the test file defines its `struct world` with at least:
 *   uint64_t now; struct nrb_sock_fake *fake; struct nrb_sess *sess;
 * (each test file adds the network behaviour and knobs its tests need).
 */
#ifndef NRB_TEST_FAKE_PATH_H
#define NRB_TEST_FAKE_PATH_H

static const char *const HOPS[] = {"192.0.2.1", "198.51.100.2", "198.51.100.6"};
#define SERVER "203.0.113.10"

static uint64_t w_now(void *c) { return ((struct world *)c)->now; }
static void w_sleep(void *c, uint64_t us) { ((struct world *)c)->now += us; }

/* Loop timer: deliver what the fake sockets hold that is due. */
static int64_t pump(struct nrb_loop *l, void *arg)
{
	(void)l;
	nrb_sock_fake_pump(((struct world *)arg)->fake);
	return NRB_NOMORE;
}

/* Queue m for fd, due in delay µs. */
static void inject_msg(struct world *w, int fd, uint64_t delay, struct nrb_sock_msg *m)
{
	assert_int_equal(nrb_sock_fake_inject(w->fake, fd, w->now + delay, m), 0);
	assert_int_equal(nrb_loop_timer_add(nrb_sess_loop(w->sess), delay, pump, w, NULL), 0);
}

/* Queue the packet buf (len bytes, received TTL unknown) for fd, due in delay µs. */
static void inject(struct world *w, int fd, uint64_t delay, const uint8_t *buf, size_t len)
{
	struct nrb_sock_msg m;

	memset(&m, 0, sizeof m);
	m.buf = (uint8_t *)buf;
	m.len = len;
	m.ttl = -1;
	inject_msg(w, fd, delay, &m);
}

/* Room for any packet the fake network builds (a 2000-byte ping and its headers). */
#define FAKE_PKT_MAX 2200

/* IPv4 header from src to us (192.0.2.2) with TTL ttl, then body, into out (FAKE_PKT_MAX
 * bytes). */
static size_t wrap(uint8_t *out, const char *src, uint8_t proto, uint8_t ttl, const uint8_t *body,
                   size_t blen)
{
	struct nrb_pkt_ip ip;

	assert_true(20 + blen <= FAKE_PKT_MAX);
	memset(&ip, 0, sizeof ip);
	assert_int_equal(nrb_pkt_addr_from_string(&ip.src, src), 0);
	assert_int_equal(nrb_pkt_addr_from_string(&ip.dst, "192.0.2.2"), 0);
	ip.ttl = ttl;
	ip.ip_id = 0x1234;
	assert_int_equal(nrb_pkt_build_ipv4(out, FAKE_PKT_MAX, &ip, proto, blen), 20);
	memcpy(out + 20, body, blen);
	return 20 + blen;
}

static void free_world(struct world *w)
{
	nrb_sess_free(w->sess);
	nrb_sock_fake_free(w->fake);
	free(w);
}

static void assert_addr(const struct nrb_pkt_addr *a, const char *want)
{
	char buf[64];

	assert_string_equal(nrb_pkt_addr_to_string(a, buf, sizeof buf), want);
}

#endif
