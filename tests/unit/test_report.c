/*
 * Report tests: run examples/tcp-check.yaml against this test's own loopback listener
 * (and against a port nobody listens on), encode the report as JSON, parse it back with
 * json-c and check the nrb.report/1 contract field by field; render the Markdown ticket;
 * and check that report files are written atomically.
 */
#include "nrb_test.h"

#include <arpa/inet.h>
#include <json.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_fd = -1;
static int open_port, closed_port;

/* Bind 127.0.0.1:0 and return the port; listen when asked, else close (a closed port). */
static int loopback_port(int do_listen, int *fd_out)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	if (do_listen) {
		assert_int_equal(listen(fd, 16), 0);
		*fd_out = fd;
	} else {
		close(fd);
	}
	return ntohs(a.sin_port);
}

static int setup(void **state)
{
	host_setup(state);
	open_port = loopback_port(1, &listen_fd);
	closed_port = loopback_port(0, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(listen_fd);
	return host_teardown(state);
}

/* Run the example runbook with port/compare_port; return the parsed JSON report. */
static json_object *run_report(int port, int compare_port)
{
	char code[2048];
	const char *text;
	json_object *j;

	snprintf(code, sizeof code,
	         "local runbook = require 'nrb.runbook'\n"
	         "local params = require 'nrb.params'\n"
	         "local runner = require 'nrb.runner'\n"
	         "local report = require 'nrb.report'\n"
	         "local rb = assert(runbook.load('" NRB_SOURCE_DATADIR "/examples/tcp-check.yaml'))\n"
	         "local v = assert(params.resolve(rb.params, {target = '127.0.0.1', port = '%d',\n"
	         "                                compare_port = '%d', attempts = '2'}))\n"
	         "return report.json(runner.run(rb, v, {label = 'unit test'}))", port, compare_port);
	text = test_lua_string(L, code);
	j = json_tokener_parse(text);
	if (!j)
		fail_msg("report is not JSON: %s", text);
	return j;
}

static json_object *get(json_object *o, const char *path)
{
	char buf[256], *save = NULL;
	json_object *cur = o;

	snprintf(buf, sizeof buf, "%s", path);
	for (char *tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		json_object *next = NULL;
		if (json_object_is_type(cur, json_type_array))
			next = json_object_array_get_idx(cur, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(cur, tok, &next))
			fail_msg("report has no field %s (at %s)", path, tok);
		cur = next;
	}
	return cur;
}

static const char *str(json_object *o, const char *path)
{
	json_object *v = get(o, path);

	if (!json_object_is_type(v, json_type_string))
		fail_msg("%s is not a string", path);
	return json_object_get_string(v);
}

static int64_t num(json_object *o, const char *path)
{
	json_object *v = get(o, path);

	if (!json_object_is_type(v, json_type_int))
		fail_msg("%s is not an integer", path);
	return json_object_get_int64(v);
}

static void assert_rfc3339(const char *s)
{
	/* 2026-11-22T03:24:00.123Z */
	assert_int_equal(strlen(s), 24);
	assert_true(s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[19] == '.' && s[23] == 'Z');
}

static void test_report_contract_connected(void **state)
{
	json_object *r = run_report(open_port, closed_port);

	(void)state;
	assert_string_equal(str(r, "schema"), "nrb.report/1");
	assert_string_equal(str(r, "tool.name"), "nrb");
	assert_string_equal(str(r, "tool.version"), NRB_VERSION);
	assert_string_equal(str(r, "runbook.name"), "tcp-check");
	assert_non_null(strstr(str(r, "runbook.source"), "examples/tcp-check.yaml"));
	assert_string_equal(str(r, "target.host"), "127.0.0.1");
	assert_string_equal(str(r, "target.address"), "127.0.0.1");
	assert_string_equal(str(r, "target.proto"), "tcp");
	assert_int_equal(num(r, "target.port"), open_port);
	assert_true(strlen(str(r, "vantage.hostname")) > 0);
	assert_true(json_object_is_type(get(r, "vantage.addresses"), json_type_array));
	assert_string_equal(str(r, "vantage.label"), "unit test");
	assert_rfc3339(str(r, "started"));
	assert_rfc3339(str(r, "finished"));
	assert_true(strcmp(str(r, "started"), str(r, "finished")) <= 0);
	assert_false(json_object_get_boolean(get(r, "interrupted")));

	/* steps: all three ran, in order, with status and an integer duration */
	assert_int_equal(json_object_array_length(get(r, "steps")), 3);
	assert_string_equal(str(r, "steps.0.id"), "resolve");
	assert_string_equal(str(r, "steps.0.status"), "ok");
	assert_string_equal(str(r, "steps.1.id"), "service");
	assert_string_equal(str(r, "steps.1.title"), "TCP connect to the service port");
	assert_string_equal(str(r, "steps.1.status"), "ok");
	assert_true(num(r, "steps.1.duration_ms") >= 0);
	assert_int_equal(num(r, "steps.1.evidence.connected"), 2);
	assert_int_equal(num(r, "steps.1.evidence.sent"), 2);
	assert_string_equal(str(r, "steps.1.evidence.attempts.0.status"), "connected");
	assert_true(json_object_is_type(get(r, "steps.1.findings"), json_type_array));
	assert_int_equal(json_object_array_length(get(r, "steps.1.findings")), 0);
	assert_string_equal(str(r, "steps.2.id"), "compare");
	assert_string_equal(str(r, "steps.2.status"), "failed");
	assert_string_equal(str(r, "steps.2.evidence.status"), "refused");

	/* verdict */
	assert_string_equal(str(r, "verdict.class"), "OK");
	assert_string_equal(str(r, "verdict.confidence"), "high");
	assert_true(json_object_is_type(get(r, "verdict.hop"), json_type_null));
	assert_string_equal(str(r, "verdict.proto"), "tcp");
	assert_int_equal(num(r, "verdict.port"), open_port);
	assert_non_null(strstr(str(r, "verdict.reasons.0"), "2 of 2 connections succeeded"));
	assert_true(json_object_is_type(get(r, "suggestions"), json_type_array));
	json_object_put(r);
}

static void test_report_refused_is_service_down(void **state)
{
	json_object *r = run_report(closed_port, open_port);
	char want[128];

	(void)state;
	assert_string_equal(str(r, "steps.1.status"), "failed");
	assert_string_equal(str(r, "steps.1.evidence.status"), "refused");
	/* each attempt keeps the connect errno, its name and text */
	assert_int_equal(num(r, "steps.1.evidence.attempts.0.errno"), ECONNREFUSED);
	assert_string_equal(str(r, "steps.1.evidence.attempts.0.errno_name"), "ECONNREFUSED");
	assert_string_equal(str(r, "steps.1.evidence.attempts.0.error"), strerror(ECONNREFUSED));
	/* the finding declared in the runbook fired, with its text expanded */
	snprintf(want, sizeof want, "127.0.0.1 port %d answered with a reset", closed_port);
	assert_string_equal(str(r, "steps.1.findings.0.text"), want);
	assert_string_equal(str(r, "steps.1.findings.0.severity"), "warn");
	assert_string_equal(str(r, "verdict.class"), "SERVICE_DOWN");
	assert_string_equal(str(r, "verdict.confidence"), "medium");
	assert_string_equal(str(r, "verdict.address"), "127.0.0.1");
	assert_string_equal(str(r, "suggestions.0"),
	                    "Check that the service runs and listens on the port (ss -ltn on the server).");
	json_object_put(r);
}

static void test_markdown_ticket(void **state)
{
	char code[2048], want[128];
	const char *md;

	(void)state;
	snprintf(code, sizeof code,
	         "local runbook = require 'nrb.runbook'\n"
	         "local params = require 'nrb.params'\n"
	         "local runner = require 'nrb.runner'\n"
	         "local report = require 'nrb.report'\n"
	         "local rb = assert(runbook.load('" NRB_SOURCE_DATADIR "/examples/tcp-check.yaml'))\n"
	         "local v = assert(params.resolve(rb.params, {target = '127.0.0.1', port = '%d', compare_port = '%d'}))\n"
	         "local r = runner.run(rb, v, {})\n"
	         "return assert(report.markdown(r, 'en')) .. '\\n=====\\n' .. assert(report.markdown(r, 'zh'))",
	         closed_port, open_port);
	md = test_lua_string(L, code);
	snprintf(want, sizeof want, "# Network diagnosis: 127.0.0.1 tcp/%d — `SERVICE_DOWN`\n", closed_port);
	assert_true(strncmp(md, want, strlen(want)) == 0);
	assert_non_null(strstr(md, "**Verdict:** `SERVICE_DOWN`"));
	assert_non_null(strstr(md, "| 2 | TCP connect to the service port | failed |"));
	assert_non_null(strstr(md, "## Suggested next steps\n\n1. Check that the service runs"));
	snprintf(want, sizeof want, "# 网络诊断：127.0.0.1 tcp/%d — `SERVICE_DOWN`", closed_port);
	assert_non_null(strstr(md, want));
	assert_non_null(strstr(md, "## 建议的后续步骤"));
	/* no unrendered template syntax leaks into the ticket */
	assert_null(strstr(md, "{{"));
}

static void test_report_files_are_atomic(void **state)
{
	char dir[] = "/tmp/nrb-report-XXXXXX", code[2048], path[256];
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(code, sizeof code,
	         "local cli = require 'nrb.cli'\n"
	         "local a = cli.run{runbook = '" NRB_SOURCE_DATADIR "/examples/tcp-check.yaml', target = '127.0.0.1',\n"
	         "  port = '%d', params = {compare_port = '%d'}, format = 'md', quiet = true,\n"
	         "  output = '%s/r.md', json = '%s/r.json'}\n"
	         "local b = cli.run{runbook = '" NRB_SOURCE_DATADIR "/examples/tcp-check.yaml', target = '127.0.0.1',\n"
	         "  port = '%d', params = {}, format = 'md', quiet = true, output = '%s/r2.md',\n"
	         "  json = '%s/missing/r.json'}\n"
	         "return a .. ' ' .. b",
	         open_port, closed_port, dir, dir, open_port, dir, dir);
	assert_string_equal(test_lua_string(L, code), "0 3");
	snprintf(path, sizeof path, "%s/r.json", dir);
	json_object *j = json_object_from_file(path);
	assert_non_null(j);
	assert_string_equal(str(j, "verdict.class"), "OK");
	json_object_put(j);
	unlink(path);
	snprintf(path, sizeof path, "%s/r.md", dir);
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	/* the failed run wrote nothing, not even its Markdown, and left no temp file */
	snprintf(path, sizeof path, "%s/r2.md", dir);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_contract_connected),
		cmocka_unit_test(test_report_refused_is_service_down),
		cmocka_unit_test(test_markdown_ticket),
		cmocka_unit_test(test_report_files_are_atomic),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
