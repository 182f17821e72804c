/*
 * nrb.core.host: privileged helpers for the trusted Lua library (the Lua files of lua/nrb) only.
 * The runbook sandbox never exposes this module (sandbox.lua refuses nrb.core.*).
 * Environment failures return nil, message; caller mistakes raise.
 */
#include "lua/host_int.h"
#include "nrb_config.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lauxlib.h>

#define MAX_READ_BYTES (64u << 20)

/* interrupted() -> "SIGINT" | "SIGTERM" | nil */
static int l_host_interrupted(lua_State *L)
{
	int sig = nrb_interrupted();

	if (!sig)
		return 0;
	lua_pushstring(L, sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal");
	return 1;
}

/*
 * pcall_step(ms, fn, ...) -> true, results... | false, message
 * pcall_timed(ms, fn, ...) -> the same
 * Call fn(...) protected, with a time limit of ms milliseconds enforced by the count
 * hook; pcall_step also stops on Ctrl-C/SIGTERM ("interrupted"), pcall_timed only on
 * time (a verdict function still decides an interrupted run).  The stop is sticky: a
 * pcall inside fn cannot swallow it.  The message is always text with a traceback
 * (nrb_lua_msghandler: error objects of any type are described, never re-raised).
 */
static int pcall_limited(lua_State *L, int interruptible)
{
	struct nrb_host *h = nrb_host_from(L);
	lua_Integer ms = luaL_checkinteger(L, 1);
	int status;

	luaL_argcheck(L, ms > 0 && ms <= 24 * 3600 * 1000, 1, "deadline out of range");
	luaL_checktype(L, 2, LUA_TFUNCTION);
	if (h->in_step)
		return luaL_error(L, "pcall_step: already inside a limited call");
	status = nrb_host_pcall_limited(L, lua_gettop(L) - 2, LUA_MULTRET, (int)ms, interruptible);
	/* stack: ms, results... (or ms, message) */
	lua_pushboolean(L, status == LUA_OK);
	lua_replace(L, 1);
	return lua_gettop(L);
}

static int l_host_pcall_step(lua_State *L) { return pcall_limited(L, 1); }
static int l_host_pcall_timed(lua_State *L) { return pcall_limited(L, 0); }

static int l_host_now_ms(lua_State *L)
{
	lua_pushnumber(L, (lua_Number)nrb_now_us() / 1000.0);
	return 1;
}

static int l_host_utc_now(lua_State *L)
{
	char buf[40];

	nrb_rfc3339_now(buf, sizeof buf);
	lua_pushstring(L, buf);
	return 1;
}

static int l_host_hostname(lua_State *L)
{
	char buf[256];

	if (gethostname(buf, sizeof buf) < 0)
		return luaL_fileresult(L, 0, "gethostname");
	buf[sizeof buf - 1] = '\0';
	lua_pushstring(L, buf);
	return 1;
}

/* addresses() -> { "192.0.2.2", "2001:db8:1::2", ... }: this host's own addresses,
 * loopback and IPv6 link-local left out (they say nothing to a NOC). */
static int l_host_addresses(lua_State *L)
{
	struct ifaddrs *ifa, *p;
	int n = 0;

	if (getifaddrs(&ifa) < 0)
		return luaL_fileresult(L, 0, "getifaddrs");
	lua_newtable(L);
	for (p = ifa; p; p = p->ifa_next) {
		char buf[INET6_ADDRSTRLEN];
		const void *a;

		if (!p->ifa_addr || (p->ifa_flags & IFF_LOOPBACK))
			continue;
		if (p->ifa_addr->sa_family == AF_INET) {
			a = &((struct sockaddr_in *)p->ifa_addr)->sin_addr;
		} else if (p->ifa_addr->sa_family == AF_INET6) {
			const struct in6_addr *a6 = &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(a6))
				continue;
			a = a6;
		} else {
			continue;
		}
		if (inet_ntop(p->ifa_addr->sa_family, a, buf, sizeof buf)) {
			lua_pushstring(L, buf);
			lua_rawseti(L, -2, ++n);
		}
	}
	freeifaddrs(ifa);
	return 1;
}

/* read_file(path) -> string | nil, msg */
static int l_host_read_file(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	char err[512], *buf;
	size_t len;

	if (nrb_read_file(path, MAX_READ_BYTES, &buf, &len, err, sizeof err) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushlstring(L, buf, len);
	free(buf);
	return 1;
}

/* write_file(path, data) -> true | nil, msg  (atomic: temp file + rename) */
static int l_host_write_file(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	size_t len;
	const char *data = luaL_checklstring(L, 2, &len);
	char err[512];

	if (nrb_write_file_atomic(path, data, len, err, sizeof err) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int write_fd(lua_State *L, FILE *f)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);

	fwrite(s, 1, len, f);
	fflush(f);
	return 0;
}

static int l_host_write_stdout(lua_State *L) { return write_fd(L, stdout); }
static int l_host_write_stderr(lua_State *L) { return write_fd(L, stderr); }

/* isatty(1|2) -> boolean */
static int l_host_isatty(lua_State *L)
{
	lua_Integer fd = luaL_checkinteger(L, 1);

	luaL_argcheck(L, fd == 1 || fd == 2, 1, "only 1 (stdout) or 2 (stderr)");
	lua_pushboolean(L, isatty((int)fd));
	return 1;
}

/* load_lua(path, env) -> function | nil, msg  (text only; env becomes its _ENV) */
static int l_host_load_lua(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	char err[1024];

	luaL_checktype(L, 2, LUA_TTABLE);
	if (nrb_host_load_lua(L, path, 2, err, sizeof err) < 0) {
		lua_pushstring(L, err);
		return 2;
	}
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_dir(dir) -> sorted { names of regular files } | nil, msg */
static int l_host_list_dir(lua_State *L)
{
	const char *dir = luaL_checkstring(L, 1);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(dir);

	if (!d)
		return luaL_fileresult(L, 0, dir);
	while ((de = readdir(d)) != NULL && n < 10000) {
		char path[4096];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path)
			continue;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof *names);
			if (!nn)
				break;
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_str);
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushstring(L, names[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
		free(names[i]);
	}
	free(names);
	return 1;
}

/* kind(path) -> "file" | "dir" | nil */
static int l_host_kind(lua_State *L)
{
	struct stat st;

	if (stat(luaL_checkstring(L, 1), &st) < 0)
		return 0;
	if (S_ISREG(st.st_mode))
		lua_pushliteral(L, "file");
	else if (S_ISDIR(st.st_mode))
		lua_pushliteral(L, "dir");
	else
		return 0;
	return 1;
}

static void push_list(lua_State *L, const char *const *v, size_t n)
{
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_pushstring(L, v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* roots() -> { data roots }, runbook_dirs() -> { extra runbook folders } */
static int l_host_roots(lua_State *L)
{
	struct nrb_host *h = nrb_host_from(L);

	push_list(L, h->opts.roots, h->opts.nroots);
	return 1;
}

static int l_host_runbook_dirs(lua_State *L)
{
	struct nrb_host *h = nrb_host_from(L);

	push_list(L, h->opts.runbook_dirs, h->opts.nrunbook_dirs);
	return 1;
}

int luaopen_nrb_core_host(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{"interrupted", l_host_interrupted},
		{"pcall_step", l_host_pcall_step},
		{"pcall_timed", l_host_pcall_timed},
		{"traceback", nrb_lua_msghandler},
		{"now_ms", l_host_now_ms},
		{"utc_now", l_host_utc_now},
		{"hostname", l_host_hostname},
		{"addresses", l_host_addresses},
		{"read_file", l_host_read_file},
		{"write_file", l_host_write_file},
		{"write_stdout", l_host_write_stdout},
		{"write_stderr", l_host_write_stderr},
		{"isatty", l_host_isatty},
		{"load_lua", l_host_load_lua},
		{"list_dir", l_host_list_dir},
		{"kind", l_host_kind},
		{"roots", l_host_roots},
		{"runbook_dirs", l_host_runbook_dirs},
		{NULL, NULL},
	};

	luaL_newlib(L, funcs);
	lua_pushstring(L, NRB_VERSION);
	lua_setfield(L, -2, "version");
	return 1;
}
