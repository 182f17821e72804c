/*
 * Shared helpers for the cmocka unit tests that need a Lua host: a host whose data root
 * is the source tree and whose runbook path is tests/fixtures/runbooks, and a way to run
 * a snippet of trusted Lua and read its results.  Header-only: each test is one file.
 */
#ifndef NRB_TEST_H
#define NRB_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <lauxlib.h>
#include <lualib.h>

#include "lua/host.h"
#include "nrb_config.h"

static const char *const test_roots[] = {NRB_SOURCE_DATADIR};
static const char *const test_dirs[] = {NRB_TEST_DIR "/fixtures/runbooks"};

static inline struct nrb_host *test_host(void)
{
	struct nrb_host_opts o = {test_roots, 1, test_dirs, 1, 0};
	struct nrb_host *h = NULL;
	char err[256];

	if (nrb_host_new(&o, &h, err, sizeof err) < 0)
		fail_msg("host: %s", err);
	return h;
}

/* Run code (trusted, global env) and leave nres results on the stack; fail on error. */
static inline void test_run_lua(lua_State *L, const char *code, int nres)
{
	if (luaL_loadbufferx(L, code, strlen(code), "=test", "t") != LUA_OK)
		fail_msg("load: %s", lua_tostring(L, -1));
	if (nrb_lua_pcall(L, 0, nres) != LUA_OK)
		fail_msg("run: %s", lua_tostring(L, -1));
}

/* Run code that returns one string; copy it into a static buffer. */
static inline const char *test_lua_string(lua_State *L, const char *code)
{
	static char buf[65536];
	const char *s;

	test_run_lua(L, code, 1);
	s = lua_tostring(L, -1);
	snprintf(buf, sizeof buf, "%s", s ? s : "(nil)");
	lua_pop(L, 1);
	return buf;
}

#endif
