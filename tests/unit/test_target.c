/* Unit tests for core/net/target: what may be a probe's target, table-driven.  Every case
 * is text as a user could type it and what must come of it; nothing here resolves a name
 * or opens a socket (the functions are pure), so the malformed and outside addresses in
 * the tables are only ever parsed. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "net/target.h"

struct tcase {
	const char *text;   /* the target as typed */
	int kind;           /* NRB_TARGET_ADDRESS, NRB_TARGET_NAME, or -EINVAL */
	const char *expect; /* for an address: its text as read back; for -EINVAL: a part of the message */
};

static void run(const struct tcase *cases, size_t n, int with_dest)
{
	for (size_t i = 0; i < n; i++) {
		struct nrb_pkt_addr a;
		char err[256] = "", buf[64];
		int rc = with_dest ? nrb_target_check(cases[i].text, &a, err, sizeof err)
		                   : nrb_target_parse(cases[i].text, &a, err, sizeof err);

		if (rc != cases[i].kind)
			fail_msg("case %zu '%s': got %d (%s), expected %d", i, cases[i].text, rc, err,
			         cases[i].kind);
		if (rc == NRB_TARGET_ADDRESS && cases[i].expect &&
		    strcmp(nrb_pkt_addr_to_string(&a, buf, sizeof buf), cases[i].expect) != 0)
			fail_msg("case %zu '%s': read as %s, expected %s", i, cases[i].text, buf,
			         cases[i].expect);
		if (rc == NRB_TARGET_NAME && a.af != 0)
			fail_msg("case %zu '%s': a name left an address behind", i, cases[i].text);
		if (rc < 0 && (!cases[i].expect || !strstr(err, cases[i].expect)))
			fail_msg("case %zu '%s': message '%s' lacks '%s'", i, cases[i].text, err,
			         cases[i].expect ? cases[i].expect : "(none)");
	}
}

/* inet_aton's legacy forms, out-of-range quads and trailing dots: refused as malformed
 * IPv4, never read as another address or handed to DNS. */
static void test_numeric_forms(void **state)
{
	static const struct tcase cases[] = {
		{"192.0.2.1", NRB_TARGET_ADDRESS, "192.0.2.1"},
		{"203.0.113.255", NRB_TARGET_ADDRESS, "203.0.113.255"},
		{"1.2.3", -EINVAL, "'1.2.3' is not a valid IPv4 address"},
		{"1.2", -EINVAL, "not a valid IPv4 address"},
		{"1", -EINVAL, "not a valid IPv4 address"},
		{"2130706433", -EINVAL, "not a valid IPv4 address"},
		{"0x7f.1", -EINVAL, "not a valid IPv4 address"},
		{"0x7f000001", -EINVAL, "not a valid IPv4 address"},
		{"0X7F.0.0.1", -EINVAL, "not a valid IPv4 address"},
		{"1.0x7f", -EINVAL, "not a valid IPv4 address"},
		{"1.2.3.0x", -EINVAL, "not a valid IPv4 address"},
		{"017.0.0.1", -EINVAL, "not a valid IPv4 address"},
		{"192.0.2.01", -EINVAL, "not a valid IPv4 address"},
		{"1.2.3.4.", -EINVAL, "'1.2.3.4.' is not a valid IPv4 address"},
		{"999.1.1.1", -EINVAL, "not a valid IPv4 address"},
		{"192.0.2.256", -EINVAL, "not a valid IPv4 address"},
		{"1.2.3.4.5", -EINVAL, "not a valid IPv4 address"},
		{"server.123", -EINVAL, "not a valid IPv4 address"},
		{" 192.0.2.1", -EINVAL, "not a valid IPv4 address"},
	};

	(void)state;
	run(cases, sizeof cases / sizeof cases[0], 0);
}

static void test_ipv6_forms(void **state)
{
	static const struct tcase cases[] = {
		{"2001:db8::1", NRB_TARGET_ADDRESS, "2001:db8::1"},
		{"2001:DB8:0:0:0:0:0:a", NRB_TARGET_ADDRESS, "2001:db8::a"},
		{"::1", NRB_TARGET_ADDRESS, "::1"},
		{"2001:db8::192.0.2.1", NRB_TARGET_ADDRESS, "2001:db8::c000:201"},
		{"2001:db8::1::2", -EINVAL, "'2001:db8::1::2' is not a valid IPv6 address"},
		{"2001:db8:0:0:0:0:0:0:1", -EINVAL, "not a valid IPv6 address"},
		{"[2001:db8::1]", -EINVAL, "not a valid IPv6 address"},
		{"fe80::1%eth0", -EINVAL, "with a scope"},
		{"2001:db8::1.2.3", -EINVAL, "not a valid IPv6 address"},
	};

	(void)state;
	run(cases, sizeof cases / sizeof cases[0], 0);
}

static void test_names(void **state)
{
	static const struct tcase cases[] = {
		{"server.example", NRB_TARGET_NAME, NULL},
		{"server.example.", NRB_TARGET_NAME, NULL},
		{"a-b_c.example", NRB_TARGET_NAME, NULL},
		{"localhost", NRB_TARGET_NAME, NULL},
		{"1e3", NRB_TARGET_NAME, NULL},        /* not a number to inet_aton: a name */
		{"0x7f.example", NRB_TARGET_NAME, NULL},
		{"", -EINVAL, "empty"},
		{".", -EINVAL, "is not a host name or IP address"},
		{"-rf", -EINVAL, "is not a host name"},
		{"a..b", -EINVAL, "is not a host name"},
		{".example", -EINVAL, "is not a host name"},
		{"example..", -EINVAL, "is not a host name"},
		{"a b", -EINVAL, "is not a host name"},
		{"x;rm", -EINVAL, "is not a host name"},
		{"caf\xc3\xa9.example", -EINVAL, "'caf??.example' is not a host name"},
		{"a.-b", -EINVAL, "is not a host name"},
	};
	char long_label[80], long_name[300];

	(void)state;
	run(cases, sizeof cases / sizeof cases[0], 0);
	/* a label of 63 passes, 64 does not; a name of 253 passes, 254 does not */
	memset(long_label, 'a', 63);
	strcpy(long_label + 63, ".example");
	assert_int_equal(nrb_target_parse(long_label, NULL, NULL, 0), NRB_TARGET_NAME);
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".example");
	assert_int_equal(nrb_target_parse(long_label, NULL, NULL, 0), -EINVAL);
	for (int i = 0; i < 253; i++)
		long_name[i] = i % 2 ? '.' : 'a';
	long_name[253] = '\0';
	assert_int_equal(nrb_target_parse(long_name, NULL, NULL, 0), NRB_TARGET_NAME);
	long_name[253] = '.';
	long_name[254] = '\0';
	assert_int_equal(nrb_target_parse(long_name, NULL, NULL, 0), NRB_TARGET_NAME);
	long_name[253] = 'b';
	long_name[254] = '\0';
	assert_int_equal(nrb_target_parse(long_name, NULL, NULL, 0), -EINVAL);
}

/* Addresses no probe may go to: refused by the check, read by the parser. */
static void test_destinations(void **state)
{
	static const struct tcase cases[] = {
		{"192.0.2.1", NRB_TARGET_ADDRESS, "192.0.2.1"},
		{"127.0.0.1", NRB_TARGET_ADDRESS, "127.0.0.1"},
		{"169.254.169.254", NRB_TARGET_ADDRESS, "169.254.169.254"}, /* on-link, no scope */
		{"223.255.255.255", NRB_TARGET_ADDRESS, "223.255.255.255"},
		{"2001:db8::1", NRB_TARGET_ADDRESS, "2001:db8::1"},
		{"::1", NRB_TARGET_ADDRESS, "::1"},
		{"fec0::1", NRB_TARGET_ADDRESS, "fec0::1"},                 /* just past fe80::/10 */
		{"server.example", NRB_TARGET_NAME, NULL},
		{"0.0.0.0", -EINVAL, "0.0.0.0 is the unspecified address"},
		{"::", -EINVAL, ":: is the unspecified address"},
		{"224.0.0.1", -EINVAL, "224.0.0.1 is a multicast address (224.0.0.0/4)"},
		{"239.255.255.250", -EINVAL, "multicast"},
		{"255.255.255.255", -EINVAL, "255.255.255.255 is the broadcast address"},
		{"ff02::1", -EINVAL, "ff02::1 is a multicast address (ff00::/8)"},
		{"fe80::1", -EINVAL, "fe80::1 is an IPv6 link-local address (fe80::/10)"},
		{"febf::1", -EINVAL, "link-local"},
		{"::ffff:192.0.2.1", -EINVAL, "give the IPv4 address 192.0.2.1"},
		{"1.2.3", -EINVAL, "not a valid IPv4 address"},
	};

	(void)state;
	run(cases, sizeof cases / sizeof cases[0], 1);
}

static void test_null_and_unset(void **state)
{
	struct nrb_pkt_addr a;
	char err[128], text[200];

	(void)state;
	assert_int_equal(nrb_target_parse(NULL, &a, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_target_check(NULL, NULL, NULL, 0), -EINVAL);
	assert_int_equal(nrb_target_check_dest(NULL, err, sizeof err), -EINVAL);
	memset(&a, 0, sizeof a);
	assert_int_equal(nrb_target_check_dest(&a, err, sizeof err), -EINVAL);
	assert_string_equal(err, "no target address");
	/* a refused text leaves no address behind */
	memset(&a, 0xaa, sizeof a);
	assert_int_equal(nrb_target_parse("1.2.3", &a, NULL, 0), -EINVAL);
	assert_int_equal(a.af, 0);
	/* a long target is cut in the message */
	memset(text, '1', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	assert_int_equal(nrb_target_parse(text, NULL, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "1111...' is not a valid IPv4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric_forms),
		cmocka_unit_test(test_ipv6_forms),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_destinations),
		cmocka_unit_test(test_null_and_unset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
