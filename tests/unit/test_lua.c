/*
 * Runs the Lua tests (tests/lua/NAME_test.lua) inside a host (trusted environment, the
 * source tree's lua/ on the path).  Each file returns a table of test functions; each
 * function is a cmocka test, run under xpcall with a traceback, failing on any error.
 * Lua tests exercise rules and renderers on recorded evidence (no network).
 */
#include "nrb_test.h"

#include <dirent.h>

struct lua_case {
	char file[640]; /* test file */
	char name[128]; /* function name in its table */
};

static struct lua_case cases[512];
static struct CMUnitTest tests[512];
static size_t ncases;

static void run_case(void **state)
{
	const struct lua_case *c = *state;
	char code[1024];

	snprintf(code, sizeof code,
	         "local host = require 'nrb.core.host'\n"
	         "local f = assert(host.load_lua('%s', _G))\n"
	         "local suite = f()\n"
	         "local ok, err = xpcall(suite['%s'], debug.traceback)\n"
	         "return ok and 'ok' or tostring(err)", c->file, c->name);
	const char *r = test_lua_string(L, code);
	if (strcmp(r, "ok") != 0)
		fail_msg("%s: %s", c->name, r);
}

static int case_setup(void **state)
{
	(void)state;
	return 0;
}

static void collect(const char *path)
{
	char code[1024];

	snprintf(code, sizeof code,
	         "local host = require 'nrb.core.host'\n"
	         "local f = assert(host.load_lua('%s', _G))\n"
	         "local names = {}\n"
	         "for k, v in pairs(f()) do if type(v) == 'function' then names[#names + 1] = k end end\n"
	         "table.sort(names)\n"
	         "return table.concat(names, ' ')", path);
	static char names[65536];
	snprintf(names, sizeof names, "%s", test_lua_string(L, code));
	for (char *save = NULL, *tok = strtok_r(names, " ", &save); tok && ncases < 512;
	     tok = strtok_r(NULL, " ", &save)) {
		struct lua_case *c = &cases[ncases];
		snprintf(c->file, sizeof c->file, "%s", path);
		snprintf(c->name, sizeof c->name, "%s", tok);
		tests[ncases].name = c->name;
		tests[ncases].test_func = run_case;
		tests[ncases].setup_func = case_setup;
		tests[ncases].teardown_func = NULL;
		tests[ncases].initial_state = c;
		ncases++;
	}
}

int main(void)
{
	DIR *d = opendir(NRB_TEST_DIR "/lua");
	struct dirent *de;
	int rc;

	host_setup(NULL);
	if (!d) {
		fprintf(stderr, "no tests/lua folder\n");
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char path[600];
		if (n > 9 && strcmp(de->d_name + n - 9, "_test.lua") == 0) {
			snprintf(path, sizeof path, "%s/lua/%s", NRB_TEST_DIR, de->d_name);
			collect(path);
		}
	}
	closedir(d);
	if (ncases == 0) {
		fprintf(stderr, "no Lua tests found\n");
		return 1;
	}
	rc = _cmocka_run_group_tests("lua", tests, ncases, NULL, NULL);
	host_teardown(NULL);
	return rc;
}
