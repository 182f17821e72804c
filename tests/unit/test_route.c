/*
 * Unit tests for core/probe/route.c: the netlink reply parser on crafted and truncated
 * messages, a read-only lookup in this namespace (127.0.0.1 is local), and lookups in a
 * private network namespace this test creates (unshare in a child process) with its own
 * veth pair, a route via a gateway, a blackhole route and no default route.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <cmocka.h>

#include "probe/route.h"

/* Build an RTM_NEWROUTE for 203.0.113.10 via 198.51.100.254, oif 0, prefsrc
 * 198.51.100.1, table 254, metric 100. Returns its length. */
static size_t craft_route(unsigned char *buf, size_t cap)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct rtmsg *rtm;
	struct rtattr *rta;
	unsigned char a[4];
	uint32_t v;

	memset(buf, 0, cap);
	nh->nlmsg_type = RTM_NEWROUTE;
	nh->nlmsg_len = NLMSG_LENGTH(sizeof *rtm);
	rtm = NLMSG_DATA(nh);
	rtm->rtm_family = AF_INET;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_table = RT_TABLE_MAIN;
#define ADD_ATTR(t, data, dlen) do { \
		rta = (struct rtattr *)(buf + NLMSG_ALIGN(nh->nlmsg_len)); \
		rta->rta_type = (t); rta->rta_len = (unsigned short)RTA_LENGTH(dlen); \
		memcpy(RTA_DATA(rta), (data), (dlen)); \
		nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len); } while (0)
	inet_pton(AF_INET, "198.51.100.254", a);
	ADD_ATTR(RTA_GATEWAY, a, 4);
	inet_pton(AF_INET, "198.51.100.1", a);
	ADD_ATTR(RTA_PREFSRC, a, 4);
	v = 100;
	ADD_ATTR(RTA_PRIORITY, &v, 4);
	v = 254;
	ADD_ATTR(RTA_TABLE, &v, 4);
	return nh->nlmsg_len;
}

static void test_parse_route(void **state)
{
	unsigned char buf[512];
	struct nrb_route_result res;
	size_t len = craft_route(buf, sizeof buf);

	(void)state;
	memset(&res, 0, sizeof res);
	assert_int_equal(nrb_route_parse(buf, len, &res), 0);
	assert_int_equal(res.found, 1);
	assert_int_equal(res.family, AF_INET);
	assert_string_equal(res.type, "unicast");
	assert_string_equal(res.gateway, "198.51.100.254");
	assert_string_equal(res.prefsrc, "198.51.100.1");
	assert_int_equal(res.metric, 100);
	assert_int_equal(res.table, 254);
}

static void test_parse_error_and_garbage(void **state)
{
	unsigned char buf[512];
	struct nrb_route_result res;
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct nlmsgerr *e;
	size_t len;

	(void)state;
	memset(buf, 0, sizeof buf);
	nh->nlmsg_type = NLMSG_ERROR;
	nh->nlmsg_len = NLMSG_LENGTH(sizeof *e);
	e = NLMSG_DATA(nh);
	e->error = -ENETUNREACH;
	memset(&res, 0, sizeof res);
	assert_int_equal(nrb_route_parse(buf, nh->nlmsg_len, &res), 0);
	assert_int_equal(res.found, 0);
	assert_int_equal(res.error, ENETUNREACH);

	/* every truncation of a valid route message is rejected or parsed safely */
	len = craft_route(buf, sizeof buf);
	for (size_t cut = 0; cut < len; cut++) {
		memset(&res, 0, sizeof res);
		int rc = nrb_route_parse(buf, cut, &res);
		assert_true(rc == 0 || rc == -EBADMSG);
	}
	/* a length field that lies is rejected */
	nh->nlmsg_len = 4000;
	assert_int_equal(nrb_route_parse(buf, len, &res), -EBADMSG);
	/* wrong family */
	len = craft_route(buf, sizeof buf);
	((struct rtmsg *)NLMSG_DATA(nh))->rtm_family = AF_UNIX;
	assert_int_equal(nrb_route_parse(buf, len, &res), -EBADMSG);
	assert_int_equal(nrb_route_parse(NULL, 10, &res), -EINVAL);
}

static void test_loopback_is_local(void **state)
{
	struct nrb_route_result res;
	char err[128];

	(void)state;
	assert_int_equal(nrb_route_get("127.0.0.1", &res, err, sizeof err), 0);
	assert_int_equal(res.found, 1);
	assert_string_equal(res.type, "local");
	assert_string_equal(res.dev, "lo");
	assert_int_equal(nrb_route_get("not-an-address", &res, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "not-an-address"));
	assert_int_equal(nrb_route_get(NULL, &res, err, sizeof err), -EINVAL);
}

/* Child side of the namespace test: returns 0 when every check holds, else a line number
 * (and prints what the lookup gave, so a failure in CI says why). */
static struct nrb_route_result r;

static void show(void)
{
	fprintf(stderr, "route %s: found %d error %d type %s gw '%s' dev '%s' src '%s' metric %u\n",
	        r.dst, r.found, r.error, r.type, r.gateway, r.dev, r.prefsrc, r.metric);
}

static int ns_checks(void)
{
	char err[128];

	if (system("ip link add nrbt0 type veth peer name nrbt1 && ip link set nrbt1 up && ip link set nrbt0 up && "
	           "ip addr add 198.51.100.1/24 dev nrbt0 && "
	           "ip route add 203.0.113.0/24 via 198.51.100.254 metric 7 && "
	           "ip route add blackhole 192.0.2.0/25 && "
	           "ip route add unreachable 192.0.2.128/26 && "
	           "ip -6 addr add 2001:db8:1::1/64 dev nrbt0 nodad && "
	           "ip -6 route add 2001:db8:3::/64 via 2001:db8:1::fe") != 0)
		return __LINE__;
	if (nrb_route_get("203.0.113.10", &r, err, sizeof err) != 0 || !r.found ||
	    strcmp(r.type, "unicast") || strcmp(r.gateway, "198.51.100.254") ||
	    strcmp(r.dev, "nrbt0") || strcmp(r.prefsrc, "198.51.100.1"))
		return show(), __LINE__;
	if (nrb_route_get("198.51.100.77", &r, err, sizeof err) != 0 || !r.found ||
	    r.gateway[0] != '\0' || strcmp(r.dev, "nrbt0"))
		return show(), __LINE__; /* directly connected: no gateway */
	if (nrb_route_get("192.0.2.9", &r, err, sizeof err) != 0 || r.found ||
	    strcmp(r.type, "blackhole") || r.error != EINVAL)
		return show(), __LINE__; /* the kernel fails a lookup into a blackhole with EINVAL */
	if (nrb_route_get("192.0.2.130", &r, err, sizeof err) != 0 || r.found ||
	    strcmp(r.type, "unreachable") || r.error != EHOSTUNREACH)
		return show(), __LINE__;
	if (nrb_route_get("192.0.2.200", &r, err, sizeof err) != 0 || r.found ||
	    strcmp(r.type, "none") || r.error != ENETUNREACH)
		return show(), __LINE__; /* no default route */
	if (nrb_route_get("2001:db8:3::10", &r, err, sizeof err) != 0 || !r.found ||
	    strcmp(r.gateway, "2001:db8:1::fe") || r.family != AF_INET6)
		return show(), __LINE__;
	return 0;
}

static void test_routes_in_private_namespace(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a namespace of our own: nothing here touches the host's routes */
		if (unshare(CLONE_NEWNET) != 0)
			_exit(200);
		_exit(ns_checks());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 200)
		skip(); /* no permission to create a network namespace here */
	if (WEXITSTATUS(st) != 0)
		fail_msg("namespace check failed at test_route.c line %d", WEXITSTATUS(st));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_route),
		cmocka_unit_test(test_parse_error_and_garbage),
		cmocka_unit_test(test_loopback_is_local),
		cmocka_unit_test(test_routes_in_private_namespace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
