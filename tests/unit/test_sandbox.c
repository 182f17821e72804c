/* Unit tests for the Lua host's sandbox (core/lua/host.c, lua/nrb/sandbox.lua): each
 * forbidden function really is unavailable, bytecode is refused everywhere, and the
 * count hook turns Ctrl-C and runaway loops into errors. */
#include "nrb_test.h"
#include "util/util.h"

#include <signal.h>
#include <unistd.h>

static struct nrb_host *h;
static lua_State *L;

static int setup(void **state)
{
	(void)state;
	h = test_host();
	L = nrb_host_state(h);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nrb_host_free(h);
	return 0;
}

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
		"host.set_deadline(60000)\n"
		"local ok, e = pcall(function() while true do end end)\n"
		"host.set_deadline(nil)\n"
		"return tostring(ok) .. ' ' .. e .. ' ' .. tostring(host.interrupted())"),
		"false interrupted SIGINT");
	nrb_interrupt_signal = 0;
}

static void test_deadline_raises(void **state)
{
	(void)state;
	assert_non_null(strstr(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"host.set_deadline(50)\n"
		"local ok, e = pcall(function() while true do end end)\n"
		"host.set_deadline(nil)\n"
		"return tostring(ok) .. ' ' .. e"),
		"false test:3: step time limit of 50 ms exceeded"));
	/* caller mistakes raise */
	assert_non_null(strstr(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local ok, e = pcall(host.set_deadline, -5) return e"), "deadline out of range"));
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
		cmocka_unit_test(test_deadline_raises),
		cmocka_unit_test(test_runbook_path_modules),
		cmocka_unit_test(test_host_arguments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
