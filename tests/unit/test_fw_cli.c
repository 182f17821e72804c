/* Unit tests for `nrb probe fw` (nrb_fw_cli): exit statuses, Markdown and JSON output on
 * committed fixtures, and the environment failure when the ruleset cannot be read. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "fw/fw.h"

/* Run the CLI with a NULL-terminated argument list; output into *text (caller frees). */
static int run(char **text, ...)
{
	char *argv[40];
	int argc = 0, rc;
	size_t len = 0;
	FILE *out = open_memstream(text, &len);
	va_list ap;

	assert_non_null(out);
	argv[argc++] = "fw";
	va_start(ap, text);
	while (argc < 39 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	rc = nrb_fw_cli(argc, argv, out);
	fclose(out);
	return rc;
}

static char *fx(const char *name)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/fixtures/fw/%s", NRB_TEST_DIR, name);
	return buf[k];
}

static void test_usage_errors(void **state)
{
	char *t = NULL;

	(void)state;
	assert_int_equal(run(&t, "--bogus", "1", NULL), 2);
	assert_non_null(strstr(t, "unknown option --bogus"));
	free(t);
	assert_int_equal(run(&t, "--dport", NULL), 2);
	assert_non_null(strstr(t, "missing value after --dport"));
	free(t);
	assert_int_equal(run(&t, "--dport", "70000", NULL), 2);
	assert_non_null(strstr(t, "port must be 0..65535, not 70000"));
	free(t);
	assert_int_equal(run(&t, "--direction", "sideways", NULL), 2);
	free(t);
	assert_int_equal(run(&t, "--proto", "carrier-pigeon", NULL), 2);
	free(t);
	assert_int_equal(run(&t, "--state", "sleepy", NULL), 2);
	free(t);
	assert_int_equal(run(&t, "--format", "xml", NULL), 2);
	free(t);
	assert_int_equal(run(&t, "--ruleset-file", "x", NULL), 2);
	assert_non_null(strstr(t, "go together"));
	free(t);
	assert_int_equal(run(&t, "--netns", "x", "--ruleset-file", "f", "--ruleset-format", "nft", NULL), 2);
	assert_non_null(strstr(t, "does not go with --ruleset-file"));
	free(t);
	assert_int_equal(run(&t, "--netns", "../x", NULL), 2);
	assert_non_null(strstr(t, "bad network namespace name"));
	free(t);
	assert_int_equal(run(&t, "--netns", "nrb-no-such-ns", NULL), 3);
	assert_non_null(strstr(t, "network namespace /run/netns/nrb-no-such-ns"));
	free(t);
	assert_int_equal(run(&t, "stray", NULL), 2);
	free(t);
	assert_int_equal(run(&t, "--help", NULL), 0);
	assert_non_null(strstr(t, "usage: nrb probe fw"));
	free(t);
	assert_int_equal(nrb_fw_cli(0, NULL, stderr), 2);
	assert_int_equal(nrb_fw_cli(1, (char *[]){"fw", NULL}, NULL), 2);
}

static void test_bad_input(void **state)
{
	char *t = NULL;

	(void)state;
	assert_int_equal(run(&t, "--dst", "203.0.113.300", NULL), 1);
	assert_non_null(strstr(t, "destination address '203.0.113.300' is not a numeric"));
	free(t);
	assert_int_equal(run(&t, "--src", "192.0.2.1", "--dst", "2001:db8::1", NULL), 1);
	free(t);
	assert_int_equal(run(&t, "--ruleset-file", "/nonexistent/nrb.rules", "--ruleset-format",
	                     "iptables", NULL), 1);
	free(t);
	/* nft JSON read as iptables text: the parser names the line */
	assert_int_equal(run(&t, "--ruleset-file", fx("fail2ban.json"), "--ruleset-format",
	                     "iptables", NULL), 1);
	assert_non_null(strstr(t, "fail2ban.json:1: unexpected line"));
	free(t);
}

static void test_markdown(void **state)
{
	char *t = NULL;

	(void)state;
	assert_int_equal(run(&t, "--proto", "tcp", "--dport", "22", "--src", "198.51.100.13",
	                     "--dst", "192.0.2.10", "--iif", "eth0", "--ruleset-file",
	                     fx("fail2ban.iptables"), "--ruleset-format", "iptables", NULL), 0);
	assert_non_null(strstr(t, "## Firewall check: tcp 198.51.100.13 -> 192.0.2.10:22 (input by default, state new, in eth0)\n"));
	assert_non_null(strstr(t, "**Decision: reject** (with icmp-port-unreachable)\n"));
	assert_non_null(strstr(t, "1. `" NRB_TEST_DIR "/fixtures/fw/fail2ban.iptables line 7 (table filter): -A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd` -> jump\n"));
	assert_non_null(strstr(t, "2. `" NRB_TEST_DIR "/fixtures/fw/fail2ban.iptables line 9 (table filter): -A f2b-sshd -s 198.51.100.13/32 -j REJECT --reject-with icmp-port-unreachable` -> reject\n"));
	assert_non_null(strstr(t, "Managed by fail2ban: "));
	assert_non_null(strstr(t, "unbanip"));
	free(t);
	/* incomplete flow: uncertain, and the note says what is missing */
	assert_int_equal(run(&t, "--proto", "tcp", "--dport", "22", "--src", "198.51.100.20",
	                     "--ruleset-file", fx("firewalld.json"), "--ruleset-format", "nft", NULL), 0);
	assert_non_null(strstr(t, "**Decision: uncertain** (if the rules nrb could not evaluate do not match: accept)"));
	assert_non_null(strstr(t, "the flow names no input interface (--iif)"));
	assert_null(strstr(t, "No address given"));
	assert_non_null(strstr(t, "`table inet firewalld chain filter_IN_public_allow handle 72` (`tcp dport == 22 ct state == { new, untracked } accept`) -> accept"));
	free(t);
}

static void test_no_address(void **state)
{
	char *t = NULL;

	(void)state;
	assert_int_equal(run(&t, "--proto", "tcp", "--dport", "25", "--iif", "eth0", "--ruleset-file",
	                     fx("basic6.ip6tables"), "--ruleset-format", "ip6tables", NULL), 0);
	/* an IPv4 flow meets no ip6tables table: accepted, and the output says why */
	assert_non_null(strstr(t, "No address given: evaluated as IPv4"));
	assert_non_null(strstr(t, "**Decision: accept**"));
	free(t);
	assert_int_equal(run(&t, "--proto", "icmpv6", "--icmp-type", "128", "--iif", "eth0",
	                     "--ruleset-file", fx("basic6.ip6tables"), "--ruleset-format", "ip6tables",
	                     NULL), 0);
	assert_non_null(strstr(t, "evaluated as IPv6"));
	assert_non_null(strstr(t, "line 8 (table filter): -A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT` -> accept"));
	free(t);
}

static void test_json(void **state)
{
	char *t = NULL;
	struct json_object *o, *path, *v;

	(void)state;
	assert_int_equal(run(&t, "--proto", "tcp", "--dport", "8080", "--src", "198.51.100.20",
	                     "--dst", "192.0.2.10", "--iif", "eth0", "--format", "json",
	                     "--ruleset-file", fx("firewalld.json"), "--ruleset-format", "nft", NULL), 0);
	o = json_tokener_parse(t);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "schema", &v));
	assert_string_equal(json_object_get_string(v), "nrb.fw/1");
	assert_true(json_object_object_get_ex(o, "decision", &v));
	assert_string_equal(json_object_get_string(v), "reject");
	assert_true(json_object_object_get_ex(o, "reject_with", &v));
	assert_string_equal(json_object_get_string(v), "icmpx admin-prohibited");
	assert_true(json_object_object_get_ex(o, "manager", &v));
	assert_string_equal(json_object_get_string(v), "firewalld");
	assert_true(json_object_object_get_ex(o, "path", &path));
	v = json_object_array_get_idx(path, json_object_array_length(path) - 1);
	assert_string_equal(json_object_get_string(json_object_object_get(v, "ref")),
	                    "table inet firewalld chain filter_INPUT handle 44");
	assert_string_equal(json_object_get_string(json_object_object_get(v, "action")), "reject");
	assert_int_equal(json_object_get_int(json_object_object_get(v, "handle")), 44);
	assert_true(json_object_object_get_ex(o, "notes", &v));
	assert_int_equal(json_object_array_length(v), 0);
	json_object_put(o);
	free(t);
}

/* Without permission to read the ruleset, the exit status is 3 and the message says why. */
static void test_no_permission(void **state)
{
	int fds[2], status;
	pid_t pid;
	char buf[2048] = "";
	ssize_t n;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *out = fdopen(fds[1], "w");
		char *argv[] = {"fw", "--proto", "tcp", "--dport", "22", NULL};
		int rc;

		close(fds[0]);
		if (setgid(65534) || setuid(65534))
			_exit(99);
		rc = nrb_fw_cli(5, argv, out);
		fclose(out);
		_exit(rc);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	assert_true(n > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_non_null(strstr(buf, "could not read any firewall ruleset (run as root or with CAP_NET_ADMIN)"));
}

/* A ruleset source nrb cannot parse makes the decision uncertain (it used to print the
 * decision of the sources that happened to parse, with the failure only listed at the
 * end).  A child makes a namespace whose legacy iptables holds a rule of 130 comment
 * matches: valid for iptables, but more words than nrb's parser takes on one line. */
static void test_unread_source_uncertain(void **state)
{
	int go[2], done[2], status;
	char nspath[64], c, *t = NULL;
	struct json_object *o, *v;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || access("/usr/sbin/iptables-legacy", X_OK) ||
	    access("/usr/sbin/iptables-legacy-save", X_OK))
		skip();
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char com[130][8];
		char *argv[16 + 4 * 130], *out = NULL, err[512];
		int n = 0;
		size_t len;
		char ok = 'y';

		close(go[0]);
		close(done[1]);
		argv[n++] = "/usr/sbin/iptables-legacy";
		argv[n++] = "-w";
		argv[n++] = "-A";
		argv[n++] = "INPUT";
		argv[n++] = "-p";
		argv[n++] = "tcp";
		argv[n++] = "--dport";
		argv[n++] = "22";
		for (int i = 0; i < 130; i++) {
			snprintf(com[i], sizeof com[i], "c%d", i);
			argv[n++] = "-m";
			argv[n++] = "comment";
			argv[n++] = "--comment";
			argv[n++] = com[i];
		}
		argv[n++] = "-j";
		argv[n++] = "DROP";
		argv[n] = NULL;
		if (unshare(CLONE_NEWNET))
			ok = 's';
		else if (nrb_fw_run(argv[0], argv, 1 << 20, 10000, &out, &len, err, sizeof err))
			ok = 'n';
		free(out);
		if (write(go[1], &ok, 1) != 1)
			_exit(1);
		if (read(done[0], &ok, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[1]);
	close(done[0]);
	assert_int_equal(read(go[0], &c, 1), 1);
	if (c == 's') {
		close(done[1]);
		waitpid(pid, &status, 0);
		skip();
	}
	assert_int_equal(c, 'y');
	snprintf(nspath, sizeof nspath, "/proc/%d/ns/net", (int)pid);
	assert_int_equal(run(&t, "--proto", "tcp", "--dport", "22", "--src", "198.51.100.20", "--dst",
	                     "192.0.2.10", "--iif", "eth0", "--netns", nspath, NULL), 0);
	if (!strstr(t, "**Decision: uncertain** (if the rules nrb could not evaluate do not match: accept)"))
		fail_msg("not uncertain:\n%s", t);
	assert_non_null(strstr(t, "- cannot evaluate the rules of a ruleset source that could not be read: iptables-legacy-save:"));
	assert_non_null(strstr(t, "too many words"));
	assert_non_null(strstr(t, "Ruleset sources not read (their rules are missing: the decision is uncertain):"));
	free(t);
	assert_int_equal(run(&t, "--proto", "tcp", "--dport", "22", "--src", "198.51.100.20", "--dst",
	                     "192.0.2.10", "--iif", "eth0", "--netns", nspath, "--format", "json", NULL), 0);
	o = json_tokener_parse(t);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "decision", &v));
	assert_string_equal(json_object_get_string(v), "uncertain");
	assert_true(json_object_object_get_ex(o, "unread", &v));
	assert_int_equal(json_object_array_length(v), 1);
	assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(v, 0)),
	                       "iptables-legacy-save:"));
	json_object_put(o);
	free(t);
	close(done[1]);
	close(go[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_markdown),
		cmocka_unit_test(test_no_address),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_no_permission),
		cmocka_unit_test(test_unread_source_uncertain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
