/* Unit tests for the Lua host's sandbox (core/lua/host.c, lua/nrb/sandbox.lua): each
 * forbidden function really is unavailable, bytecode is refused everywhere, and the
 * count hook turns Ctrl-C and runaway loops into errors. */
#include "nrb_test.h"
#include "lua/host_int.h"
#include "util/util.h"

#include <signal.h>
#include <unistd.h>

/* Evaluate expr inside a fresh runbook sandbox; return "ok:<value>" or "err:<message>". */
static const char *in_sandbox(const char *expr)
{
	char code[2048];

	snprintf(code, sizeof code,
	         "local sb = require 'nrb.sandbox'\n"
	         "local env = sb.new_env()\n"
	         "local f = assert(load('return ' .. %s, 'rb', 't', env))\n"
	         "local ok, v = pcall(f)\n"
	         "return (ok and 'ok:' or 'err:') .. tostring(v)", expr);
	return test_lua_string(L, code);
}

static void test_forbidden_in_runbooks(void **state)
{
	static const char *const forbidden[] = {
		"'os.execute(\"true\")'", "'io.popen(\"true\")'", "'io.open(\"/etc/passwd\")'",
		"'package.loadlib(\"x\", \"y\")'", "'dofile(\"/etc/passwd\")'",
		"'loadfile(\"/etc/passwd\")'", "'debug.getinfo(1)'", "'collectgarbage()'",
		"'os.exit(1)'", "'require(\"nrb.core.host\")'", "'require(\"nrb.core.probe\")'",
		"'require(\"os\")'", "'require(\"io\")'", "'require(\"debug\")'",
		"'string.dump(print)'", "'undeclared_name'",
	};

	(void)state;
	for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
		const char *r = in_sandbox(forbidden[i]);
		if (strncmp(r, "err:", 4) != 0)
			fail_msg("%s was allowed in the sandbox: %s", forbidden[i], r);
	}
	/* writing a global is refused too, and names the variable */
	assert_non_null(strstr(in_sandbox("'(function() leaked = 1 end)()'"), "undeclared global 'leaked'"));
	/* library tables are read-only: a runbook cannot change what trusted code uses */
	assert_non_null(strstr(in_sandbox("'(function() string.format = nil end)()'"), "read-only"));
	/* the string metatable is locked: no way to the shared string table through it */
	assert_string_equal(in_sandbox("'getmetatable(\"\")'"), "ok:locked");
	assert_string_equal(in_sandbox("'string.dump == nil'"), "ok:true");
	/* what a runbook may use still works */
	assert_string_equal(in_sandbox("'string.format(\"%d\", 42)'"), "ok:42");
	assert_string_equal(in_sandbox("'require(\"nrb.probe\") ~= nil'"), "ok:true");
	assert_string_equal(in_sandbox("'select(2, pcall(error, \"x\"))'"), "ok:x");
}

static void test_trusted_state_is_trimmed(void **state)
{
	(void)state;
	/* even trusted code has no io, no shell, no C loader */
	assert_string_equal(test_lua_string(L,
		"return tostring(io) .. ' ' .. tostring(os.execute) .. ' ' .. tostring(os.exit) .. ' ' .."
		" tostring(package.loadlib) .. ' ' .. tostring(dofile) .. ' ' .. tostring(loadfile) .. ' ' .."
		" tostring(string.dump) .. ' ' .. package.cpath .. '|' .. #package.searchers"),
		"nil nil nil nil nil nil nil |2");
}

static void test_bytecode_refused(void **state)
{
	char path[] = "/tmp/nrb-bc-XXXXXX";
	lua_State *plain = luaL_newstate();
	int fd = mkstemp(path);
	char code[512];

	(void)state;
	assert_true(fd >= 0);
	/* make real bytecode with a separate, unsandboxed state */
	luaL_openlibs(plain);
	assert_int_equal(luaL_dostring(plain, "return string.dump(load('return 1'))"), LUA_OK);
	size_t len;
	const char *bc = lua_tolstring(plain, -1, &len);
	assert_int_equal(write(fd, bc, len), (ssize_t)len);
	close(fd);
	/* load() of a binary string */
	lua_pushlstring(L, bc, len);
	lua_setglobal(L, "BYTECODE");
	lua_close(plain);
	assert_string_equal(test_lua_string(L,
		"local f, e = load(BYTECODE, 'bc', 'b') return tostring(f) .. ' ' .. e"),
		"nil attempt to load a binary chunk (mode is 't')");
	/* a runbook file holding bytecode */
	snprintf(code, sizeof code,
	         "local host = require 'nrb.core.host'\n"
	         "local f, e = host.load_lua('%s', {}) return tostring(f) .. ' ' .. e", path);
	assert_non_null(strstr(test_lua_string(L, code), "binary chunk"));
	unlink(path);
	lua_pushnil(L);
	lua_setglobal(L, "BYTECODE");
}

static void test_interrupt_raises_in_step(void **state)
{
	(void)state;
	nrb_interrupt_signal = SIGINT;
	/* outside a step the hook does not raise (the runner must be able to finish) */
	assert_string_equal(test_lua_string(L, "local n = 0 for i = 1, 100000 do n = n + 1 end return tostring(n)"),
	                    "100000");
	/* inside a step, a spinning loop is stopped with "interrupted" */
	assert_string_equal(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local ok, e = host.pcall_step(60000, function() while true do end end)\n"
		"return tostring(ok) .. ' ' .. e:match('^[^\\n]*') .. ' ' .. tostring(host.interrupted())"),
		"false interrupted SIGINT");
	/* sticky: a pcall in the step cannot swallow it and spin on, in a coroutine neither */
	assert_string_equal(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local ok, e = host.pcall_step(60000, function()\n"
		"  while true do pcall(function() while true do end end) end end)\n"
		"local ok2, e2 = host.pcall_step(60000, function()\n"
		"  local co = coroutine.wrap(function() while true do pcall(function() while true do end end) end end)\n"
		"  while true do pcall(co) end end)\n"
		"return tostring(ok) .. ' ' .. e:match('^[^\\n]*') .. ' ' .. tostring(ok2) .. ' ' .. e2:match('^[^\\n]*')"),
		"false interrupted false interrupted");
	/* pcall_timed (verdict functions) is not stopped by the interrupt, only by time */
	assert_string_equal(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local ok, v = host.pcall_timed(60000, function() local n = 0 for i = 1, 100000 do n = n + 1 end return n end)\n"
		"return tostring(ok) .. ' ' .. tostring(v)"),
		"true 100000");
	/* after the call the caller's own code runs on (the hook is disarmed) */
	assert_string_equal(test_lua_string(L, "local n = 0 for i = 1, 100000 do n = n + 1 end return tostring(n)"),
	                    "100000");
	nrb_interrupt_signal = 0;
}

static int l_honour(lua_State *S)
{
	nrb_host_interrupt_honoured(S);
	return 0;
}

/* A binding that ended its wait for Ctrl-C lets the step finish its evidence (capture
 * stop); the time limit still holds. */
static void test_interrupt_honoured_by_a_binding(void **state)
{
	(void)state;
	lua_pushcfunction(L, l_honour);
	lua_setglobal(L, "honour");
	nrb_interrupt_signal = SIGINT;
	assert_string_equal(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local ok, v = host.pcall_step(60000, function()\n"
		"  honour() local n = 0 for i = 1, 100000 do n = n + 1 end return n end)\n"
		"local ok2, e2 = host.pcall_step(100, function() honour() while true do end end)\n"
		"local ok3, e3 = host.pcall_step(60000, function() while true do end end)\n"
		"return tostring(ok) .. ' ' .. tostring(v) .. ' | ' .. e2:match('^[^\\n]*') .. ' | ' .. e3:match('^[^\\n]*')"),
		"true 100000 | test:4: step time limit of 100 ms exceeded | interrupted");
	nrb_interrupt_signal = 0;
	lua_pushnil(L);
	lua_setglobal(L, "honour");
}

static void test_deadline_raises(void **state)
{
	(void)state;
	assert_non_null(strstr(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local ok, e = host.pcall_step(50, function() while true do end end)\n"
		"return tostring(ok) .. ' ' .. e"),
		"false test:2: step time limit of 50 ms exceeded"));
	/* sticky: catching the error in the step does not let it go on; the first position
	 * (where it was spinning) is kept */
	assert_non_null(strstr(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local caught = 0\n"
		"local ok, e = host.pcall_timed(50, function()\n"
		"  while true do\n"
		"    local ok = pcall(function() while true do end end)\n"
		"    caught = caught + 1\n"
		"  end end)\n"
		"return tostring(ok) .. ' ' .. caught .. ' ' .. e"),
		"false 0 test:5: step time limit of 50 ms exceeded"));
	/* a step that returns normally keeps its results */
	assert_string_equal(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local ok, a, b = host.pcall_step(1000, function(x) return x + 1, 'two' end, 41)\n"
		"return tostring(ok) .. ' ' .. a .. ' ' .. b"), "true 42 two");
	/* caller mistakes raise */
	assert_non_null(strstr(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local ok, e = pcall(host.pcall_step, -5, print) return e"), "deadline out of range"));
	assert_non_null(strstr(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local ok, e = host.pcall_step(1000, host.pcall_step, 1000, print) return e"),
		"already inside a limited call"));
}

/* Error objects of every type become text with a position, never a second error. */
static void test_error_objects_become_text(void **state)
{
	(void)state;
	assert_string_equal(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local out = {}\n"
		"local function first(f) local ok, e = host.pcall_step(1000, f) return (e:match('^[^\\n]*')) end\n"
		"out[1] = first(function() error({code = 1, msg = 'x'}) end)\n"
		"out[2] = first(function() error() end)\n"
		"out[3] = first(function() error(setmetatable({}, {__tostring = function() error('boom') end})) end)\n"
		"out[4] = first(function() error(setmetatable({}, {__tostring = function() return 'custom' end})) end)\n"
		"out[5] = first(function() error(42) end)\n"
		"out[6] = first(function() error(true) end)\n"
		"out[7] = first(function() error('plain', 0) end)\n"
		"return table.concat(out, ' | ')"),
		"test:4: error object {code = 1, msg = \"x\"} | test:5: error with no message | "
		"test:6: error object (a table whose __tostring failed: test:6: boom) | test:7: custom | "
		"test:8: 42 | test:9: error object (a boolean value: true) | plain");
	/* xpcall with host.traceback: a traceback follows */
	assert_non_null(strstr(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local ok, e = xpcall(function() error({}) end, host.traceback) return e"),
		"test:2: error object {}\nstack traceback:"));
}

static void test_runbook_path_modules(void **state)
{
	(void)state;
	/* a helper module next to the runbooks is found and runs sandboxed itself */
	assert_string_equal(in_sandbox("'type(require(\"spinmod\").quick)'"), "ok:function");
	assert_non_null(strstr(in_sandbox("'require(\"no_such_module\")'"), "not found on the runbook path"));
	assert_non_null(strstr(in_sandbox("'require(\"../../etc/passwd\")'"), "not found"));
}

static void test_host_arguments(void **state)
{
	struct nrb_host *x = NULL;
	struct nrb_host_opts o = {NULL, 1, NULL, 0, 0};
	char err[128];

	(void)state;
	assert_int_equal(nrb_host_new(NULL, &x, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_host_new(&o, &x, err, sizeof err), -EINVAL);
	assert_null(x);
	nrb_host_free(NULL);
	assert_null(nrb_host_state(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forbidden_in_runbooks),
		cmocka_unit_test(test_trusted_state_is_trimmed),
		cmocka_unit_test(test_bytecode_refused),
		cmocka_unit_test(test_interrupt_raises_in_step),
		cmocka_unit_test(test_interrupt_honoured_by_a_binding),
		cmocka_unit_test(test_deadline_raises),
		cmocka_unit_test(test_error_objects_become_text),
		cmocka_unit_test(test_runbook_path_modules),
		cmocka_unit_test(test_host_arguments),
	};
	return cmocka_run_group_tests(tests, host_setup, host_teardown);
}
