/* Robustness of the fw parsers and evaluator on damaged input: every committed fixture
 * is truncated at many points and has bytes flipped, deterministically (fixed seed), and
 * fed to its parser; whatever parses is evaluated.  Under ASan/UBSan this finds reads
 * past buffers and crashes; the assertions check that every failure carries a message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fw/fw.h"
#include "util/util.h"

static uint32_t rng = 12345;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void one(const char *buf, size_t len, int kind, size_t *parsed, size_t *rejected)
{
	struct nrb_fw_ruleset *rs = nrb_fw_ruleset_new();
	char err[512] = "";
	int e;

	assert_non_null(rs);
	if (kind == 0)
		e = nrb_fw_parse_nft_json(rs, buf, len, "nft", 1, err, sizeof err);
	else
		e = nrb_fw_parse_iptables(rs, buf, len, kind, "ipt", err, sizeof err);
	if (e) {
		assert_true(e == -EINVAL || e == -E2BIG);
		assert_true(err[0] != '\0');
		(*rejected)++;
	} else {
		static const int dirs[] = {NRB_FW_DIR_INPUT, NRB_FW_DIR_OUTPUT, NRB_FW_DIR_FORWARD};
		struct nrb_fw_flow f;
		struct nrb_fw_result res;

		for (int d = 0; d < 6; d++) {
			nrb_fw_flow_init(&f);
			f.direction = dirs[d % 3];
			f.proto = d < 3 ? 6 : 17;
			f.dport = d < 3 ? 22 : 5353;
			nrb_fw_flow_set_addr(&f, 's', kind == 6 ? "2001:db8::1" : "198.51.100.13", err, sizeof err);
			assert_int_equal(nrb_fw_evaluate(rs, &f, &res, err, sizeof err), 0);
			assert_true(res.decision >= NRB_FW_ACCEPT && res.decision <= NRB_FW_UNCERTAIN);
			nrb_fw_result_free(&res);
		}
		(*parsed)++;
	}
	nrb_fw_ruleset_free(rs);
}

static void fuzz_file(const char *name, int kind)
{
	char path[512], err[256], *text = NULL, *buf;
	size_t len, parsed = 0, rejected = 0;

	snprintf(path, sizeof path, "%s/fixtures/fw/%s", NRB_TEST_DIR, name);
	assert_int_equal(nrb_read_file(path, 1 << 24, &text, &len, err, sizeof err), 0);
	/* truncations: exact-size heap copies so ASan sees any read past the end */
	for (size_t cut = 0; cut < len; cut += 1 + len / 150) {
		buf = malloc(cut ? cut : 1);
		memcpy(buf, text, cut);
		one(buf, cut, kind, &parsed, &rejected);
		free(buf);
	}
	/* byte flips: 1-4 random bytes replaced by interesting characters */
	for (int i = 0; i < 300; i++) {
		static const char pool[] = "\"\\{}[]:,!-/ \n\0x9@*+.";
		int n = 1 + (int)(next() % 4);

		buf = malloc(len);
		memcpy(buf, text, len);
		for (int k = 0; k < n; k++)
			buf[next() % len] = pool[next() % (sizeof pool - 1)];
		one(buf, len, kind, &parsed, &rejected);
		free(buf);
	}
	print_message("%s: %zu parsed, %zu rejected\n", name, parsed, rejected);
	assert_true(parsed > 0 && rejected > 0);
	free(text);
}

static void test_fuzz_iptables(void **state)
{
	(void)state;
	fuzz_file("ufw.iptables", 4);
	fuzz_file("docker.iptables", 4);
	fuzz_file("basic6.ip6tables", 6);
	fuzz_file("fail2ban.iptables", 4);
	fuzz_file("issue6.iptables", 4);
}

static void test_fuzz_nft(void **state)
{
	(void)state;
	fuzz_file("firewalld.json", 0);
	fuzz_file("fail2ban.json", 0);
	fuzz_file("ufw-as-nft.json", 0);
	fuzz_file("plain.json", 0);
	fuzz_file("issue6.json", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_iptables),
		cmocka_unit_test(test_fuzz_nft),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
