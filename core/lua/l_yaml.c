/*
 * nrb.core.yaml: the YAML runbook loader for the trusted library.
 *   yaml.load(path) -> value, positions | nil, "FILE:LINE:COL: message"
 *   yaml.parse(text, name) -> same, for text already in memory (tests, stdin)
 */
#include "lua/host_int.h"
#include "runbook/yaml.h"
#include "util/util.h"

#include <stdlib.h>
#include <lauxlib.h>

static int parse_result(lua_State *L, const char *name, const char *buf, size_t len)
{
	char err[512];

	if (nrb_yaml_parse(L, name, buf, len, err, sizeof err) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	return 2;
}

static int l_yaml_load(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	char err[512], *buf;
	size_t len;
	int n;

	if (nrb_read_file(path, NRB_YAML_MAX_BYTES, &buf, &len, err, sizeof err) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	/* buf must not leak if parse raises: nrb_yaml_parse never raises (it pcalls) */
	n = parse_result(L, path, buf, len);
	free(buf);
	return n;
}

static int l_yaml_parse(lua_State *L)
{
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	const char *name = luaL_optstring(L, 2, "<string>");

	return parse_result(L, name, text, len);
}

int luaopen_nrb_core_yaml(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{"load", l_yaml_load},
		{"parse", l_yaml_parse},
		{NULL, NULL},
	};

	luaL_newlib(L, funcs);
	return 1;
}
