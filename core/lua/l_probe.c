/*
 * nrb.core.probe: the probes of core/probe as Lua functions returning evidence tables.
 *
 *   probe.tcp_connect{address = "203.0.113.10", port = 443, timeout_ms = 2000}
 *     -> {status = "connected"|"refused"|"timeout"|"unreachable"|"interrupted"|"error",
 *         address, port, rtt_ms, errno, error, local}
 *   probe.resolve{host = "server.example", family = "any"|"ipv4"|"ipv6"}
 *     -> {status = "ok"|"failed", host, addresses = {...}, families = {...}, literal,
 *         time_ms, error}
 *
 * Caller mistakes (unknown option, port out of range, address that is not numeric)
 * raise; a probe that ran and saw nothing is evidence, not an error.
 */
#include "lua/host_int.h"
#include "probe/probe.h"

#include <string.h>
#include <lauxlib.h>

static int l_probe_tcp_connect(lua_State *L)
{
	static const char *const keys[] = {"address", "port", "timeout_ms", NULL};
	struct nrb_tcp_req req;
	struct nrb_tcp_result res;
	const char *addr;
	lua_Integer port, timeout;
	char err[256];

	nrb_lua_check_keys(L, 1, keys);
	lua_getfield(L, 1, "address");
	addr = luaL_checkstring(L, -1);
	lua_getfield(L, 1, "port");
	port = luaL_checkinteger(L, -1);
	lua_getfield(L, 1, "timeout_ms");
	timeout = luaL_optinteger(L, -1, 2000);
	lua_pop(L, 3);
	luaL_argcheck(L, port >= 1 && port <= 65535, 1, "port must be 1..65535");
	luaL_argcheck(L, timeout >= 1 && timeout <= 600000, 1, "timeout_ms must be 1..600000");
	memset(&req, 0, sizeof req);
	if (nrb_sockaddr_parse(addr, (int)port, &req.addr, &req.addrlen) < 0)
		return luaL_argerror(L, 1, lua_pushfstring(L, "address '%s' is not a numeric IPv4 or IPv6 address", addr));
	req.timeout_ms = (int)timeout;
	if (nrb_tcp_connect(&req, &res, err, sizeof err) < 0)
		return luaL_error(L, "%s", err);

	lua_createtable(L, 0, 8);
	lua_pushstring(L, nrb_tcp_status_name(res.status));
	lua_setfield(L, -2, "status");
	lua_pushstring(L, addr);
	lua_setfield(L, -2, "address");
	lua_pushinteger(L, port);
	lua_setfield(L, -2, "port");
	lua_pushnumber(L, (lua_Number)res.elapsed_us / 1000.0);
	lua_setfield(L, -2, "rtt_ms");
	lua_pushinteger(L, timeout);
	lua_setfield(L, -2, "timeout_ms");
	if (res.error) {
		lua_pushinteger(L, res.error);
		lua_setfield(L, -2, "errno");
		lua_pushstring(L, strerror(res.error));
		lua_setfield(L, -2, "error");
	}
	if (res.local[0]) {
		lua_pushstring(L, res.local);
		lua_setfield(L, -2, "local");
	}
	return 1;
}

static int l_probe_resolve(lua_State *L)
{
	static const char *const keys[] = {"host", "family", NULL};
	static const char *const fams[] = {"any", "ipv4", "ipv6", NULL};
	static const int famv[] = {AF_UNSPEC, AF_INET, AF_INET6};
	struct nrb_resolve_result res;
	const char *host;
	int fam;
	char err[256];

	nrb_lua_check_keys(L, 1, keys);
	lua_getfield(L, 1, "host");
	host = luaL_checkstring(L, -1);
	lua_getfield(L, 1, "family");
	fam = luaL_checkoption(L, -1, "any", fams);
	lua_pop(L, 1);
	if (nrb_resolve(host, famv[fam], &res, err, sizeof err) < 0)
		return luaL_argerror(L, 1, err);

	lua_createtable(L, 0, 8);
	lua_pushstring(L, res.ok ? "ok" : "failed");
	lua_setfield(L, -2, "status");
	lua_pushstring(L, host);
	lua_setfield(L, -2, "host");
	lua_pushboolean(L, res.is_literal);
	lua_setfield(L, -2, "literal");
	lua_pushnumber(L, (lua_Number)res.elapsed_us / 1000.0);
	lua_setfield(L, -2, "time_ms");
	lua_createtable(L, res.count, 0);
	lua_createtable(L, res.count, 0);
	for (int i = 0; i < res.count; i++) {
		lua_pushstring(L, res.addrs[i]);
		lua_rawseti(L, -3, i + 1);
		lua_pushstring(L, res.families[i] == AF_INET6 ? "ipv6" : "ipv4");
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -3, "families");
	lua_setfield(L, -2, "addresses");
	if (!res.ok) {
		lua_pushstring(L, res.error);
		lua_setfield(L, -2, "error");
	}
	return 1;
}

int luaopen_nrb_core_probe(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{"tcp_connect", l_probe_tcp_connect},
		{"resolve", l_probe_resolve},
		{NULL, NULL},
	};

	luaL_newlib(L, funcs);
	return 1;
}
