/* Unit tests for core/probe/listen.c: sockets this test opens on loopback are found, a
 * closed port is not, UDP is told from TCP, and the parser survives truncated dumps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <cmocka.h>

#include "probe/listen.h"

static int bound(int type, int af, int do_listen, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(af, type, 0);

	assert_true(fd >= 0);
	memset(&ss, 0, sizeof ss);
	if (af == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof *a;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	if (do_listen)
		assert_int_equal(listen(fd, 7), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(af == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                            : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void test_tcp_listener_found(void **state)
{
	struct nrb_listen_result r;
	char err[128];
	int port, fd = bound(SOCK_STREAM, AF_INET, 1, &port);

	(void)state;
	assert_int_equal(nrb_listen_lookup(IPPROTO_TCP, port, &r, err, sizeof err), 0);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.socks[0].addr, "127.0.0.1");
	assert_int_equal(r.socks[0].family, AF_INET);
	assert_int_equal(r.socks[0].backlog, 7);
	assert_int_equal(r.socks[0].uid, getuid());
	/* the same port over UDP has nothing */
	assert_int_equal(nrb_listen_lookup(IPPROTO_UDP, port, &r, err, sizeof err), 0);
	assert_int_equal(r.count, 0);
	close(fd);
	/* closed: nothing listens any more */
	assert_int_equal(nrb_listen_lookup(IPPROTO_TCP, port, &r, err, sizeof err), 0);
	assert_int_equal(r.count, 0);
}

static void test_bound_but_not_listening_is_not_listening(void **state)
{
	struct nrb_listen_result r;
	char err[128];
	int port, fd = bound(SOCK_STREAM, AF_INET, 0, &port);

	(void)state;
	assert_int_equal(nrb_listen_lookup(IPPROTO_TCP, port, &r, err, sizeof err), 0);
	assert_int_equal(r.count, 0);
	close(fd);
}

static void test_udp_and_ipv6(void **state)
{
	struct nrb_listen_result r;
	char err[128];
	int port, fd = bound(SOCK_DGRAM, AF_INET, 0, &port);
	int port6, fd6;

	(void)state;
	assert_int_equal(nrb_listen_lookup(IPPROTO_UDP, port, &r, err, sizeof err), 0);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.socks[0].addr, "127.0.0.1");
	close(fd);
	fd6 = bound(SOCK_STREAM, AF_INET6, 1, &port6);
	if (fd6 < 0)
		skip(); /* no IPv6 loopback here */
	assert_int_equal(nrb_listen_lookup(IPPROTO_TCP, port6, &r, err, sizeof err), 0);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.socks[0].addr, "::1");
	assert_int_equal(r.socks[0].family, AF_INET6);
	close(fd6);
}

static void test_bad_arguments_and_parser(void **state)
{
	struct nrb_listen_result r;
	unsigned char buf[256];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct inet_diag_msg *m;
	char err[128];

	(void)state;
	assert_int_equal(nrb_listen_lookup(IPPROTO_TCP, 0, &r, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_listen_lookup(IPPROTO_ICMP, 80, &r, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_listen_lookup(IPPROTO_TCP, 80, NULL, err, sizeof err), -EINVAL);
	/* a crafted record for port 443 on 192.0.2.1, then every truncation */
	memset(buf, 0, sizeof buf);
	nh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nh->nlmsg_len = NLMSG_LENGTH(sizeof *m);
	m = NLMSG_DATA(nh);
	m->idiag_family = AF_INET;
	m->id.idiag_sport = htons(443);
	inet_pton(AF_INET, "192.0.2.1", m->id.idiag_src);
	memset(&r, 0, sizeof r);
	assert_int_equal(nrb_listen_parse(buf, nh->nlmsg_len, 443, &r), 0);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.socks[0].addr, "192.0.2.1");
	memset(&r, 0, sizeof r);
	assert_int_equal(nrb_listen_parse(buf, nh->nlmsg_len, 80, &r), 0);
	assert_int_equal(r.count, 0);
	for (size_t cut = 0; cut < nh->nlmsg_len; cut++) {
		memset(&r, 0, sizeof r);
		int rc = nrb_listen_parse(buf, cut, 443, &r);
		assert_true(rc == 0 || rc == -EBADMSG);
		assert_int_equal(r.count, 0);
	}
	nh->nlmsg_type = NLMSG_DONE;
	nh->nlmsg_len = NLMSG_LENGTH(4);
	assert_int_equal(nrb_listen_parse(buf, nh->nlmsg_len, 443, &r), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_listener_found),
		cmocka_unit_test(test_bound_but_not_listening_is_not_listening),
		cmocka_unit_test(test_udp_and_ipv6),
		cmocka_unit_test(test_bad_arguments_and_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
