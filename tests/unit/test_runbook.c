/* Unit tests for runbook loading, validation and running (lua/nrb/runbook.lua and
 * runner.lua) on the fixtures in tests/fixtures/runbooks.  Every expected position below
 * was counted by hand in the fixture file. */
#include "nrb_test.h"

/* Load a fixture; return its errors joined by newlines, with the folder stripped. */
static const char *load_errors(const char *name)
{
	char code[1024];

	snprintf(code, sizeof code,
	         "local runbook = require 'nrb.runbook'\n"
	         "local rb, errs = runbook.load('" NRB_TEST_DIR "/fixtures/runbooks/%s')\n"
	         "if rb then return 'ok' end\n"
	         "local out = {}\n"
	         "for i, e in ipairs(errs) do out[i] = e:gsub('^.*/fixtures/runbooks/', '') end\n"
	         "return table.concat(out, '\\n')", name);
	return test_lua_string(L, code);
}

static void test_good_runbook_validates(void **state)
{
	(void)state;
	assert_string_equal(load_errors("good.yaml"), "ok");
	assert_string_equal(load_errors("lua-runtime.lua"), "ok");
	assert_string_equal(load_errors("../../../examples/tcp-check.yaml"), "ok");
	assert_string_equal(load_errors("../../../examples/tcp-check-lua.lua"), "ok");
}

static void test_every_problem_with_its_position(void **state)
{
	(void)state;
	assert_string_equal(load_errors("bad-keys.yaml"),
		"bad-keys.yaml:4:31: default value: parameter 'port': 70000 is out of range 1-65535\n"
		"bad-keys.yaml:5:16: parameter 'mode': unknown type 'colour' (expected string, int, number, bool, port, host, address, enum)\n"
		"bad-keys.yaml:9:12: unknown key 'whenn' in step 1 (expected one of: findings, id, run, timeout_ms, title, uses, when, with)\n"
		"bad-keys.yaml:13:15: step 'one': 'tcp_connect' takes no argument 'colour' (it takes: count, host, port, timeout_ms)\n"
		"bad-keys.yaml:15:11: step 'two': unknown probe 'teleport' (known: capture_start, capture_stop, fw, fw_hits, fw_snapshot, listening, mtr, ping, pmtu, resolve, route, tcp_connect, tcp_request, tcp_syn, trace, traces, udp)\n"
		"bad-keys.yaml:16:9: duplicate step id 'one'\n"
		"bad-keys.yaml:18:18: step 'one' argument 'host': unclosed '${' in '${params.target'\n"
		"bad-keys.yaml:20:5: verdict rule 1 has no 'when' but is not the last rule: the rules after it can never match\n"
		"bad-keys.yaml:20:12: verdict rule 1: class 'NOT_A_CLASS' is not one of OK, DNS_FAILURE, LOCAL_ROUTE, LOCAL_FIREWALL, ROUTING, PATH_FIREWALL, FORGED_RST, SERVER_FIREWALL, SERVICE_DOWN, PMTU_BLACKHOLE, ICMP_FILTERED\n"
		"bad-keys.yaml:22:11: the last verdict rule must have no 'when' and no 'use': it is the default\n"
		"bad-keys.yaml:22:11: verdict rule 2: bad expression 'steps.one.status ==': unexpected symbol near ')'");
	assert_string_equal(load_errors("bad-syntax.yaml"),
		"bad-syntax.yaml:5:8: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence");
	/* Lua gives the line; nrb finds the column of the offending token */
	assert_string_equal(load_errors("lua-syntax.lua"),
		"lua-syntax.lua:3:23: '}' expected (to close '{' at line 2) near '\"oops\"'");
	/* expressions name declared parameters and steps that run before (YAML) */
	assert_string_equal(load_errors("bad-refs.yaml"),
		"bad-refs.yaml:8:11: step 'one' 'when': 'steps.two' in 'steps.two.status == \"ok\"' runs after this one\n"
		"bad-refs.yaml:9:18: step 'one' argument 'host': unknown parameter 'nope' in 'params.nope' (declared: target)\n"
		"bad-refs.yaml:12:11: step 'two' 'when': 'steps.zzz' in 'steps.zzz.status == \"ok\" and params[\"target\"] ~= nil' is not a step of this runbook\n"
		"bad-refs.yaml:15:13: step 'two' argument 'port': unknown parameter 'port' in 'params.port' (declared: target)\n"
		"bad-refs.yaml:17:15: step 'two' finding 1 'when': 'steps.two' in 'steps.two.status == \"failed\"' is this step itself (its own evidence is `evidence`)\n"
		"bad-refs.yaml:20:11: verdict rule 1 'when': 'steps.ghost' in 'steps.one.status ~= \"ok\" and steps.ghost.status == \"ok\"' is not a step of this runbook\n"
		"bad-refs.yaml:22:14: verdict rule 1 summary: unknown parameter 'missing' in 'params.missing' (declared: target)");
	/* the column of the token Lua means, not its first occurrence on the line */
	assert_string_equal(load_errors("lua-syntax-col.lua"),
		"lua-syntax-col.lua:2:11: unexpected symbol near '='");
	/* Lua runbooks: positions of their table constructors (nrb.luapos), a table held in
	 * a local included */
	assert_string_equal(load_errors("bad-keys.lua"),
		"bad-keys.lua:2:87: step 'three': 'resolve' takes no argument 'colour' (it takes: family, host)\n"
		"bad-keys.lua:7:39: default value: parameter 'port': 70000 is out of range 1-65535\n"
		"bad-keys.lua:10:49: unknown key 'whenn' in step 1 (expected one of: findings, id, run, timeout_ms, title, uses, when, with)\n"
		"bad-keys.lua:12:26: step 'two': unknown probe 'teleport' (known: capture_start, capture_stop, fw, fw_hits, fw_snapshot, listening, mtr, ping, pmtu, resolve, route, tcp_connect, tcp_request, tcp_syn, trace, traces, udp)\n"
		"bad-keys.lua:16:15: verdict rule 1: class 'NOT_A_CLASS' is not one of OK, DNS_FAILURE, LOCAL_ROUTE, LOCAL_FIREWALL, ROUTING, PATH_FIREWALL, FORGED_RST, SERVER_FIREWALL, SERVICE_DOWN, PMTU_BLACKHOLE, ICMP_FILTERED");
	assert_string_equal(load_errors("no-such-file.yaml"),
		"no-such-file.yaml: No such file or directory");
}

/* Run a fixture with raw params; return "status status ... | verdict" plus extra. */
static const char *run_fixture(const char *name, const char *raw, const char *extra)
{
	char code[2048];

	snprintf(code, sizeof code,
	         "local runbook = require 'nrb.runbook'\n"
	         "local params = require 'nrb.params'\n"
	         "local runner = require 'nrb.runner'\n"
	         "local rb = assert(runbook.load('" NRB_TEST_DIR "/fixtures/runbooks/%s'))\n"
	         "local r = runner.run(rb, assert(params.resolve(rb.params, %s)), {})\n"
	         "local out = {}\n"
	         "for i, s in ipairs(r.steps) do out[i] = s.status end\n"
	         "return table.concat(out, ' ') .. ' | ' .. r.verdict.class .. %s", name, raw, extra);
	return test_lua_string(L, code);
}

static void test_runtime_error_is_reported_and_run_continues(void **state)
{
	(void)state;
	assert_string_equal(run_fixture("lua-runtime.lua", "{}", "' | ' .. r.steps[2].error .. ' | ' .. r.verdict.reasons[1]"),
		"ok error ok | OK | " NRB_TEST_DIR "/fixtures/runbooks/lua-runtime.lua:12: "
		"attempt to index a nil value (local 't') | error");
}

static void test_deadline_fails_only_that_step(void **state)
{
	(void)state;
	assert_string_equal(run_fixture("deadline.yaml", "{}", "' | ' .. r.steps[1].error:gsub('^.*/', '')"),
		"error ok | OK | spinmod.lua:3: step time limit of 300 ms exceeded");
}

/* A step whose pcall swallows the time-limit error cannot spin on: the stop is sticky. */
static void test_deadline_cannot_be_swallowed(void **state)
{
	(void)state;
	assert_string_equal(run_fixture("pcall-spin.lua", "{}", "' | ' .. r.steps[2].error:gsub('^.*/', '')"),
		"ok error skipped ok | OK | pcall-spin.lua:5: step time limit of 300 ms exceeded");
}

static void test_conditions_findings_and_rules(void **state)
{
	(void)state;
	assert_string_equal(run_fixture("when.lua", "{}",
		"' | ' .. r.verdict.summary .. ' | ' .. r.verdict.hop .. ' | ' .. math.type(r.verdict.hop) .."
		"' | ' .. r.steps[2].reason .. ' | ' .. r.steps[3].findings[1].text .. ' | ' .. r.steps[4].error:gsub('^.*/', '')"),
		"ok skipped failed error | PATH_FIREWALL | c failed at hop 1 | 2 | integer | "
		"condition false: steps.a.evidence.n == 2 | c ran with n=1 | "
		"when.lua:11:24: in 'when': attempt to index a nil value (field 'nope')");
	assert_string_equal(run_fixture("when.lua", "{n = '2'}", "' | ' .. r.verdict.hop"),
		"ok ok skipped error | ROUTING | 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_runbook_validates),
		cmocka_unit_test(test_every_problem_with_its_position),
		cmocka_unit_test(test_runtime_error_is_reported_and_run_continues),
		cmocka_unit_test(test_deadline_fails_only_that_step),
		cmocka_unit_test(test_deadline_cannot_be_swallowed),
		cmocka_unit_test(test_conditions_findings_and_rules),
	};
	return cmocka_run_group_tests(tests, host_setup, host_teardown);
}
