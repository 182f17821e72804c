/* Unit tests for core/fw/fw_exec.c: running programs with a fixed argv, an empty-but-fixed
 * environment, bounded output and time; classification of failures; and reading the
 * live ruleset of a private network namespace (skipped when not root). */
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
#include <cmocka.h>

#include "fw/fw.h"
#include "fw/fw_int.h"

static void test_run_output_and_env(void **state)
{
	char *argv[] = {"/usr/bin/env", NULL};
	char *out = NULL, err[512];
	size_t len = 0;

	(void)state;
	setenv("LD_PRELOAD_NRB_TEST", "must-not-leak", 1);
	assert_int_equal(nrb_fw_run("/usr/bin/env", argv, 4096, 5000, &out, &len, err, sizeof err), 0);
	/* exactly the fixed environment, nothing of ours */
	assert_string_equal(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n");
	assert_int_equal(len, strlen(out));
	free(out);
}

/* The child inherits none of our descriptors (sockets, capture handles). */
static void test_run_closes_fds(void **state)
{
	char *argv[] = {"/bin/ls", "/proc/self/fd", NULL};
	char *out = NULL, err[512];
	size_t len = 0;
	int fd;

	(void)state;
	fd = dup2(2, 100);
	assert_int_equal(fd, 100);
	assert_int_equal(nrb_fw_run("/bin/ls", argv, 4096, 5000, &out, &len, err, sizeof err), 0);
	close(fd);
	/* 0, 1, 2 and the directory ls itself opened */
	assert_string_equal(out, "0\n1\n2\n3\n");
	free(out);
}

static void test_run_failures(void **state)
{
	char *t_false[] = {"/bin/false", NULL};
	char *t_sleep[] = {"/bin/sleep", "5", NULL};
	char *t_yes[] = {"/usr/bin/yes", NULL};
	char *t_ls[] = {"/bin/ls", "/nonexistent-nrb", NULL};
	char *t_none[] = {"/usr/sbin/nrb-no-such-program", NULL};
	char *out = (char *)1, err[512];
	size_t len;

	(void)state;
	assert_int_equal(nrb_fw_run("/usr/sbin/nrb-no-such-program", t_none, 100, 1000, &out, &len,
	                            err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "/usr/sbin/nrb-no-such-program is not installed"));
	assert_null(out);
	assert_int_equal(nrb_fw_run("/bin/false", t_false, 100, 1000, &out, &len, err, sizeof err), -EIO);
	assert_non_null(strstr(err, "/bin/false failed (exit status 1)"));
	assert_int_equal(nrb_fw_run("/bin/ls", t_ls, 100, 2000, &out, &len, err, sizeof err), -EIO);
	assert_non_null(strstr(err, "No such file or directory")); /* its stderr is quoted */
	assert_int_equal(nrb_fw_run("/bin/sleep", t_sleep, 100, 200, &out, &len, err, sizeof err), -ETIMEDOUT);
	assert_non_null(strstr(err, "did not finish within 200 ms"));
	assert_int_equal(nrb_fw_run("/usr/bin/yes", t_yes, 10000, 5000, &out, &len, err, sizeof err), -E2BIG);
	assert_non_null(strstr(err, "more than 10000 bytes"));
	/* caller mistakes */
	assert_int_equal(nrb_fw_run("bin/false", t_false, 100, 1000, &out, &len, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_fw_run("/bin/false", NULL, 100, 1000, &out, &len, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_fw_run("/bin/false", t_false, 100, 0, &out, &len, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_fw_run("/bin/false", t_false, 100, 1000, NULL, &len, err, sizeof err), -EINVAL);
}

/* iptables-save as an unprivileged user: the message says so and the code is -EPERM. */
static void test_run_permission(void **state)
{
	char *argv[] = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
	                "--inh-caps=-all", "--bounding-set=-all", NRB_FW_IPTABLES_SAVE_PATH, NULL};
	char *out = NULL, err[1024];
	size_t len;

	(void)state;
	if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) || access(NRB_FW_IPTABLES_SAVE_PATH, X_OK))
		skip();
	assert_int_equal(nrb_fw_run("/usr/bin/setpriv", argv, 1 << 20, 5000, &out, &len, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "failed (exit status"));
}

/* Read the live ruleset of a fresh network namespace (a child process unshares, so this
 * process and the host namespace are untouched): empty, then with rules loaded. */
static void test_read_live_in_private_netns(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0 || access(NRB_FW_NFT_PATH, X_OK))
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct nrb_fw_ruleset *rs = NULL;
		char *problems = NULL, err[1024], *out = NULL;
		char *load[] = {"/usr/sbin/nft", "-f", NULL, NULL};
		char path[512];
		size_t len;
		int rc = 0;

		if (unshare(CLONE_NEWNET) != 0)
			_exit(77);
		if (nrb_fw_read_live(NRB_FW_READ_ALL, &rs, &problems, err, sizeof err) != 0) {
			fprintf(stderr, "empty netns: %s\n", err);
			_exit(1);
		}
		if (rs->ntables != 0 || rs->nrules != 0)
			rc = 2;
		nrb_fw_ruleset_free(rs);
		free(problems);
		snprintf(path, sizeof path, "%s/fixtures/fw/src/fail2ban.nft", NRB_TEST_DIR);
		load[2] = path;
		if (nrb_fw_run("/usr/sbin/nft", load, 1 << 20, 5000, &out, &len, err, sizeof err) != 0) {
			fprintf(stderr, "load: %s\n", err);
			_exit(3);
		}
		free(out);
		if (nrb_fw_read_live(NRB_FW_READ_ALL, &rs, &problems, err, sizeof err) != 0)
			_exit(4);
		if (rs->ntables != 1 || rs->nrules != 1 || !(nrb_fw_managers(rs) & NRB_FW_MGR_FAIL2BAN))
			rc = 5;
		nrb_fw_ruleset_free(rs);
		free(problems);
		_exit(rc);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Read another namespace's rules without entering it: a child makes a namespace with
 * fail2ban's nft rules and waits; this process reads them through /proc/PID/ns/net. */
static void test_read_live_netns(void **state)
{
	int go[2], done[2], status;
	struct nrb_fw_ruleset *rs = NULL;
	char *problems = NULL, err[1024], nspath[64], c;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || access(NRB_FW_NFT_PATH, X_OK))
		skip();
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char path[512], *out = NULL;
		char *load[] = {"/usr/sbin/nft", "-f", path, NULL};
		size_t len;
		char ok = 'y';

		close(go[0]);
		close(done[1]);
		snprintf(path, sizeof path, "%s/fixtures/fw/src/fail2ban.nft", NRB_TEST_DIR);
		if (unshare(CLONE_NEWNET) || nrb_fw_run(load[0], load, 1 << 20, 5000, &out, &len, err, sizeof err))
			ok = 'n';
		free(out);
		if (write(go[1], &ok, 1) != 1)
			_exit(1);
		if (read(done[0], &ok, 1) < 0) /* until the parent has read */
			_exit(1);
		_exit(0);
	}
	close(go[1]);
	close(done[0]);
	assert_int_equal(read(go[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	snprintf(nspath, sizeof nspath, "/proc/%d/ns/net", (int)pid);
	assert_int_equal(nrb_fw_read_live_netns(nspath, NRB_FW_READ_ALL, &rs, &problems, err, sizeof err), 0);
	assert_int_equal(rs->ntables, 1);
	assert_string_equal(rs->tables[0]->name, "f2b-table");
	nrb_fw_ruleset_free(rs);
	free(problems);
	close(done[1]);
	close(go[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* bad names are refused before anything runs */
	assert_int_equal(nrb_fw_read_live_netns("../etc", NRB_FW_READ_ALL, &rs, &problems, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_fw_read_live_netns("nrb-no-such-ns", NRB_FW_READ_ALL, &rs, &problems, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "/run/netns/nrb-no-such-ns"));
}

/* A source that fails (here: prints text the parser rejects) is listed in problems and
 * recorded as unread: the decision is uncertain, with a note naming it, even though the
 * other sources were read.  Before, the problem text was all there was and the decision
 * came confidently from what happened to be read. */
static void test_read_sources_unread(void **state)
{
	static const struct fw_live_src bad_ipt[] = {
		{NRB_FW_READ_IPTABLES, "/bin/echo", "-c", "iptables-save", 4, NULL, NULL},
		{NRB_FW_READ_IP6TABLES, "/bin/true", "-c", "ip6tables-save", 6, NULL, NULL},
	};
	static const struct fw_live_src no_ipt_but_nft[] = {
		{NRB_FW_READ_IPTABLES, "/usr/sbin/nrb-no-such-save", "-c", "iptables-save", 4, NULL, NULL},
		{NRB_FW_READ_NFT, "/bin/true", NULL, "nft", 0, NULL, NULL},
	};
	static const struct fw_live_src no_ipt_no_nft[] = {
		{NRB_FW_READ_IPTABLES, "/usr/sbin/nrb-no-such-save", "-c", "iptables-save", 4, NULL, NULL},
		{NRB_FW_READ_IP6TABLES, "/bin/true", "-c", "ip6tables-save", 6, NULL, NULL},
	};
	struct nrb_fw_ruleset *rs = NULL;
	struct nrb_fw_flow f;
	struct nrb_fw_result res;
	char *problems = NULL, err[1024];

	(void)state;
	assert_int_equal(fw_read_sources(-1, bad_ipt, 2, NRB_FW_READ_ALL, &rs, &problems, err, sizeof err), 0);
	assert_non_null(problems);
	assert_non_null(strstr(problems, "iptables-save:1: unexpected line: -c"));
	assert_int_equal(rs->nunread, 1);
	assert_string_equal(rs->unread[0], "iptables-save:1: unexpected line: -c");
	nrb_fw_flow_init(&f);
	f.proto = 6;
	f.dport = 22;
	assert_int_equal(nrb_fw_evaluate(rs, &f, &res, err, sizeof err), 0);
	assert_int_equal(res.decision, NRB_FW_UNCERTAIN);
	assert_int_equal(res.assumed, NRB_FW_ACCEPT);
	assert_int_equal(res.nnotes, 1);
	assert_non_null(strstr(res.notes[0], "could not be read: iptables-save:1: unexpected line"));
	nrb_fw_result_free(&res);
	nrb_fw_ruleset_free(rs);
	free(problems);
	/* iptables-save not installed, nft read: nft lists the iptables-nft tables itself */
	assert_int_equal(fw_read_sources(-1, no_ipt_but_nft, 2, NRB_FW_READ_ALL, &rs, &problems, err, sizeof err), 0);
	assert_non_null(strstr(problems, "nrb-no-such-save is not installed"));
	assert_int_equal(rs->nunread, 0);
	nrb_fw_ruleset_free(rs);
	free(problems);
	/* ... but without nft, rules may be missing */
	assert_int_equal(fw_read_sources(-1, no_ipt_no_nft, 2, NRB_FW_READ_ALL, &rs, &problems, err, sizeof err), 0);
	assert_int_equal(rs->nunread, 1);
	nrb_fw_ruleset_free(rs);
	free(problems);
	/* only the requested sources run; all failing is an error, not a ruleset */
	assert_int_equal(fw_read_sources(-1, no_ipt_no_nft, 2, NRB_FW_READ_IPTABLES, &rs, &problems, err, sizeof err), -ENOENT);
	assert_null(rs);
	free(problems);
	assert_int_equal(fw_read_sources(-1, NULL, 0, NRB_FW_READ_ALL, &rs, &problems, err, sizeof err), -EINVAL);
}

/* Legacy (x_tables) rules of another namespace: the check for them must look in that
 * namespace's /proc/net, not in this process's (the host here has no legacy tables, so
 * they used to be missed).  A child makes a namespace with one iptables-legacy rule and
 * waits; this process reads it through /proc/PID/ns/net. */
static void test_read_live_netns_legacy(void **state)
{
	int go[2], done[2], status, found = 0;
	struct nrb_fw_ruleset *rs = NULL;
	char *problems = NULL, err[1024], nspath[64], c;
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
		char *add[] = {"/usr/sbin/iptables-legacy", "-w", "-A", "INPUT", "-s", "192.0.2.99",
		               "-p", "tcp", "--dport", "22", "-j", "DROP", NULL};
		char *out = NULL;
		size_t len;
		char ok = 'y';

		close(go[0]);
		close(done[1]);
		if (unshare(CLONE_NEWNET))
			ok = 's';
		else if (nrb_fw_run(add[0], add, 1 << 20, 10000, &out, &len, err, sizeof err))
			ok = 'n';
		free(out);
		if (write(go[1], &ok, 1) != 1)
			_exit(1);
		if (read(done[0], &ok, 1) < 0) /* until the parent has read */
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
	assert_int_equal(nrb_fw_read_live_netns(nspath, NRB_FW_READ_ALL, &rs, &problems, err, sizeof err), 0);
	for (size_t t = 0; t < rs->ntables; t++)
		if (!strcmp(rs->tables[t]->source, "iptables-legacy-save") &&
		    !strcmp(rs->tables[t]->name, "filter"))
			for (size_t k = 0; k < rs->tables[t]->nchains; k++)
				if (!strcmp(rs->tables[t]->chains[k]->name, "INPUT") &&
				    rs->tables[t]->chains[k]->nrules == 1 &&
				    strstr(rs->tables[t]->chains[k]->rules[0]->text, "-s 192.0.2.99/32"))
					found = 1;
	if (!found)
		fail_msg("no legacy filter table with the rule read from %s (problems: %s)", nspath,
		         problems ? problems : "none");
	assert_int_equal(rs->nunread, 0);
	nrb_fw_ruleset_free(rs);
	free(problems);
	close(done[1]);
	close(go[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_read_live_args(void **state)
{
	struct nrb_fw_ruleset *rs;
	char *problems, err[256];

	(void)state;
	assert_int_equal(nrb_fw_read_live(NRB_FW_READ_ALL, NULL, &problems, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_fw_read_live(0, &rs, &problems, err, sizeof err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_output_and_env),
		cmocka_unit_test(test_run_closes_fds),
		cmocka_unit_test(test_run_failures),
		cmocka_unit_test(test_run_permission),
		cmocka_unit_test(test_read_live_in_private_netns),
		cmocka_unit_test(test_read_live_netns),
		cmocka_unit_test(test_read_sources_unread),
		cmocka_unit_test(test_read_live_netns_legacy),
		cmocka_unit_test(test_read_live_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
