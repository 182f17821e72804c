/* Unit tests for core/priv (the "only core/priv says SOCK_RAW" lint is tests/lint/boundaries.sh): argument checks,
 * and (as root) real opens inside a private network namespace this test creates with
 * unshare(CLONE_NEWNET): raw ICMP echo to 127.0.0.1, a hand-built IP_HDRINCL UDP probe
 * whose port unreachable is matched back by signature, and, after dropping to nobody,
 * the ping-socket fallback and its refusal when ping_group_range excludes us.
 * Traffic never leaves the namespace's loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "net/pkt.h"
#include "net/sock.h"
#include "priv/priv.h"
#include "util/util.h"

static void test_args(void **state)
{
	enum nrb_priv_kind kind = NRB_PRIV_RAW;
	char err[256];

	(void)state;
	assert_int_equal(nrb_priv_open_icmp(AF_UNIX, &kind, err, sizeof err), -EAFNOSUPPORT);
	assert_int_equal(kind, NRB_PRIV_NONE);
	assert_non_null(strstr(err, "family"));
	assert_int_equal(nrb_priv_open_raw(AF_UNIX, IPPROTO_ICMP, err, sizeof err),
	                 -EAFNOSUPPORT);
	assert_int_equal(nrb_priv_open_raw(AF_INET6, IPPROTO_RAW, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_priv_open_icmp(AF_UNIX, NULL, NULL, 0), -EAFNOSUPPORT);
	assert_string_equal(nrb_priv_kind_name(NRB_PRIV_RAW), "raw");
	assert_string_equal(nrb_priv_kind_name(NRB_PRIV_DGRAM), "dgram");
	assert_string_equal(nrb_priv_kind_name(NRB_PRIV_NONE), "none");
}

/* ------------------------------------------------------- namespace tests */

/* In the forked children: report and leave with status 1 (cmocka is not usable). */
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); _exit(1); } } while (0)

static void lo_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(s >= 0);
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	CHECK(ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	CHECK(ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
	close(s);
}

static void write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void drop_to_nobody(void)
{
	CHECK(setgroups(0, NULL) == 0);
	CHECK(setresgid(65534, 65534, 65534) == 0);
	CHECK(setresuid(65534, 65534, 65534) == 0);
	CHECK(geteuid() == 65534);
}

/* Receive on fd until pred-matching reply, at most ~1 s.  @return bytes or -1. */
static int recv_until(int fd, uint8_t *buf, size_t cap, int af, int has_ip, uint8_t proto,
                      enum nrb_pkt_kind want, struct nrb_pkt_info *r, struct nrb_sock_msg *m)
{
	const struct nrb_sock_ops *ops = &nrb_sock_system;
	int i, n;

	for (i = 0; i < 200; i++) {
		memset(m, 0, sizeof *m);
		m->buf = buf;
		m->cap = cap;
		n = ops->recv(ops->ctx, fd, m, 0);
		if (n == -EAGAIN) {
			usleep(5000);
			continue;
		}
		if (n < 0)
			return -1;
		if ((has_ip ? nrb_pkt_parse_ip(buf, (size_t)n, r)
		            : nrb_pkt_parse_l4(af, proto, buf, (size_t)n, r)) == 0 &&
		    r->kind == want)
			return n;
		/* raw sockets also see our own requests on loopback: skip them */
	}
	return -1;
}

static struct sockaddr_in lo4(uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static struct sockaddr_in6 lo6(void)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof a);
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	return a;
}

/* ICMPv6 echo to ::1 on an ICMPv6 socket of either kind: no IP header comes back,
 * the kernel fills the checksum, and the hop limit arrives as a cmsg. */
static void echo6(int fd, int dgram)
{
	const struct nrb_sock_ops *ops = &nrb_sock_system;
	struct sockaddr_in6 to = lo6(), me;
	socklen_t len = sizeof me;
	struct nrb_pkt_info r;
	struct nrb_sock_msg m;
	uint8_t buf[512], pkt[64];
	int n;

	n = nrb_pkt_build_icmp_echo(pkt, sizeof pkt, AF_INET6, 0x6e36, 9, "nrb6", 4, NULL);
	CHECK(n == 12);
	CHECK(ops->send(ops->ctx, fd, pkt, (size_t)n, (struct sockaddr *)&to, sizeof to) == n);
	CHECK(recv_until(fd, buf, sizeof buf, AF_INET6, 0, IPPROTO_ICMPV6, NRB_PKT_ECHO_REPLY,
	                 &r, &m) == 12);
	CHECK(r.icmp_seq == 9);
	CHECK(m.ttl == 64);
	CHECK(m.from.ss_family == AF_INET6);
	if (dgram) {
		CHECK(getsockname(fd, (struct sockaddr *)&me, &len) == 0);
		CHECK(r.icmp_id == ntohs(me.sin6_port));
	} else {
		CHECK(r.icmp_id == 0x6e36);
	}
}

/* As root: raw ICMP echo, and a raw IP_HDRINCL UDP probe matched by its ICMP error. */
static void child_raw(void)
{
	const struct nrb_sock_ops *ops = &nrb_sock_system;
	enum nrb_priv_kind kind;
	struct nrb_pkt_probe p;
	struct nrb_pkt_sig ps, rs;
	struct nrb_pkt_info r;
	struct nrb_sock_msg m;
	struct sockaddr_in to = lo4(0);
	uint8_t buf[512], pkt[128];
	char err[256];
	int icmp, raw, n;

	icmp = nrb_priv_open_icmp(AF_INET, &kind, err, sizeof err);
	CHECK(icmp >= 0);
	CHECK(kind == NRB_PRIV_RAW);
	memset(&p, 0, sizeof p);
	CHECK(nrb_pkt_addr_from_string(&p.ip.src, "127.0.0.1") == 0);
	p.ip.dst = p.ip.src;
	p.ip.ttl = 64;
	p.proto = IPPROTO_ICMP;
	p.icmp_id = 0x6e72;
	p.icmp_seq = 1;
	n = nrb_pkt_build_icmp_echo(pkt, sizeof pkt, AF_INET, p.icmp_id, p.icmp_seq, "nrb", 3,
	                            NULL);
	CHECK(n == 11);
	CHECK(ops->send(ops->ctx, icmp, pkt, (size_t)n, (struct sockaddr *)&to, sizeof to) == n);
	CHECK(recv_until(icmp, buf, sizeof buf, AF_INET, 1, 0, NRB_PKT_ECHO_REPLY, &r, &m) > 0);
	CHECK(nrb_pkt_sig_from_probe(&p, &ps) == 0);
	CHECK(nrb_pkt_sig_from_reply(&r, &rs) == 0);
	CHECK(nrb_pkt_sig_match(&ps, &rs));
	CHECK(m.ttl == 64);

	/* our own IP header: UDP 40000 -> 33434 (nothing listens), ttl 9, id 0x4e52 */
	raw = nrb_priv_open_raw(AF_INET, IPPROTO_RAW, err, sizeof err);
	CHECK(raw >= 0);
	p.proto = IPPROTO_UDP;
	p.ip.ttl = 9;
	p.ip.ip_id = 0x4e52;
	p.sport = 40000;
	p.dport = 33434;
	p.data = (const uint8_t *)"nrb-udp";
	p.data_len = 7;
	n = nrb_pkt_build_probe(pkt, sizeof pkt, &p);
	CHECK(n == 20 + 8 + 7);
	CHECK(ops->send(ops->ctx, raw, pkt, (size_t)n, (struct sockaddr *)&to, sizeof to) == n);
	CHECK(recv_until(icmp, buf, sizeof buf, AF_INET, 1, 0, NRB_PKT_ICMP_ERROR, &r, &m) > 0);
	CHECK(r.err == NRB_ERR_PORT_UNREACH);
	CHECK(r.quote.ip_id == 0x4e52);
	CHECK(r.quote.ttl == 9);
	CHECK(nrb_pkt_sig_from_probe(&p, &ps) == 0);
	CHECK(nrb_pkt_sig_from_reply(&r, &rs) == 0);
	CHECK(nrb_pkt_sig_match(&ps, &rs));
	p.dport = 33435;
	CHECK(nrb_pkt_sig_from_probe(&p, &ps) == 0);
	CHECK(!nrb_pkt_sig_match(&ps, &rs));
	close(raw);
	close(icmp);

	icmp = nrb_priv_open_icmp(AF_INET6, &kind, err, sizeof err);
	CHECK(icmp >= 0);
	CHECK(kind == NRB_PRIV_RAW);
	echo6(icmp, 0);
	close(icmp);
	_exit(0);
}

/* As nobody with ping sockets allowed: raw is refused, the fallback works, and the
 * kernel rewrote the echo id to the socket's port. */
static void child_dgram(void)
{
	const struct nrb_sock_ops *ops = &nrb_sock_system;
	enum nrb_priv_kind kind;
	struct nrb_pkt_info r;
	struct nrb_sock_msg m;
	struct sockaddr_in to = lo4(0), me;
	socklen_t len = sizeof me;
	uint8_t buf[512], pkt[64];
	char err[256];
	int fd, n;

	drop_to_nobody();
	CHECK(nrb_priv_open_raw(AF_INET, IPPROTO_ICMP, err, sizeof err) == -EPERM);
	CHECK(strstr(err, "CAP_NET_RAW") != NULL);
	fd = nrb_priv_open_icmp(AF_INET, &kind, err, sizeof err);
	CHECK(fd >= 0);
	CHECK(kind == NRB_PRIV_DGRAM);
	n = nrb_pkt_build_icmp_echo(pkt, sizeof pkt, AF_INET, 1, 42, "nrb", 3, NULL);
	CHECK(ops->send(ops->ctx, fd, pkt, (size_t)n, (struct sockaddr *)&to, sizeof to) == n);
	CHECK(getsockname(fd, (struct sockaddr *)&me, &len) == 0);
	CHECK(recv_until(fd, buf, sizeof buf, AF_INET, 0, IPPROTO_ICMP, NRB_PKT_ECHO_REPLY, &r,
	                 &m) > 0);
	CHECK(r.icmp_seq == 42);
	CHECK(r.icmp_id == ntohs(me.sin_port));
	CHECK(m.ttl == 64);
	close(fd);

	fd = nrb_priv_open_icmp(AF_INET6, &kind, err, sizeof err);
	CHECK(fd >= 0);
	CHECK(kind == NRB_PRIV_DGRAM);
	echo6(fd, 1);
	close(fd);
	_exit(0);
}

/* As nobody with ping sockets disallowed: both opens fail with a helpful message. */
static void child_refused(void)
{
	enum nrb_priv_kind kind;
	char err[256];

	drop_to_nobody();
	CHECK(nrb_priv_open_icmp(AF_INET, &kind, err, sizeof err) == -EACCES);
	CHECK(kind == NRB_PRIV_NONE);
	CHECK(strstr(err, "ping_group_range") != NULL);
	_exit(0);
}

/* Live capture handles: lo opens (immediate mode, readable fd), a missing interface is
 * ENODEV, and as nobody the open is refused with EPERM and a message naming the fix. */
static void child_pcap(void)
{
	struct pcap *p = (struct pcap *)1;
	char name[IF_NAMESIZE];
	char err[256];

	CHECK(nrb_priv_open_pcap("lo", NULL, &p, err, sizeof err) == 0);
	CHECK(p != NULL);
	CHECK(pcap_get_selectable_fd(p) >= 0);
	pcap_close(p);
	CHECK(nrb_priv_open_pcap("nrbnosuch0", NULL, &p, err, sizeof err) == -ENODEV);
	CHECK(p == NULL && strstr(err, "no such interface") != NULL);
	CHECK(nrb_priv_open_pcap("", NULL, &p, err, sizeof err) == -EINVAL);
	CHECK(nrb_priv_open_pcap("lo", NULL, NULL, err, sizeof err) == -EINVAL);
	/* the route to a loopback address goes out lo; no route (unreachable here): "any" */
	CHECK(nrb_priv_capture_ifname("127.0.0.1", name, sizeof name) == 0);
	CHECK(strcmp(name, "lo") == 0);
	CHECK(nrb_priv_capture_ifname("192.0.2.1", name, sizeof name) == 1);
	CHECK(strcmp(name, "any") == 0);
	CHECK(nrb_priv_capture_ifname(NULL, name, sizeof name) == 1);
	CHECK(nrb_priv_capture_ifname("127.0.0.1", name, 4) == -EINVAL);
	drop_to_nobody();
	CHECK(nrb_priv_open_pcap("lo", NULL, &p, err, sizeof err) == -EPERM);
	CHECK(strstr(err, "CAP_NET_RAW") != NULL);
	_exit(0);
}

static int run_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		fn();
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The namespace holder: everything runs in a child so the test process never
 * changes namespace itself. */
static void ns_main(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		_exit(77);
	lo_up();
	if (run_child(child_raw) != 0)
		_exit(2);
	if (run_child(child_pcap) != 0)
		_exit(5);
	write_proc("/proc/sys/net/ipv4/ping_group_range", "1 0");
	if (run_child(child_refused) != 0)
		_exit(3);
	write_proc("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
	if (run_child(child_dgram) != 0)
		_exit(4);
	_exit(0);
}

static void test_in_private_netns(void **state)
{
	int rc;

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	rc = run_child(ns_main);
	if (rc == 77) {
		skip(); /* no permission to create a network namespace here */
		return;
	}
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_in_private_netns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
