/* host: Lua state setup, sandboxed library set, module searcher, hooks (see host.h). */
#include "lua/embed.h"
#include "lua/host_int.h"
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lualib.h>

/* Lua files (runbooks, modules) larger than this are refused. */
#define NRB_MAX_SOURCE_BYTES (4u << 20)
/* The count hook runs every this many VM instructions. */
#define NRB_HOOK_INSTRUCTIONS 10000

struct nrb_host *nrb_host_from(lua_State *L)
{
	return *(struct nrb_host **)lua_getextraspace(L);
}

void nrb_lua_check_keys(lua_State *L, int arg, const char *const *allowed)
{
	luaL_checktype(L, arg, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, arg)) {
		const char *const *a;

		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_argerror(L, arg, "option keys must be strings");
		for (a = allowed; *a; a++)
			if (strcmp(*a, lua_tostring(L, -1)) == 0)
				break;
		if (!*a)
			luaL_argerror(L, arg, lua_pushfstring(L, "unknown option '%s'", lua_tostring(L, -1)));
	}
}

void nrb_lua_mark_array(lua_State *L)
{
	/* the same metatable l_json.c registers; luaL_newmetatable keeps an existing one */
	if (luaL_newmetatable(L, "nrb.json.array")) {
		lua_pushliteral(L, "nrb.json.array");
		lua_setfield(L, -2, "__name");
	}
	lua_setmetatable(L, -2);
}

void nrb_lua_setstr(lua_State *L, const char *k, const char *v)
{
	if (v) {
		lua_pushstring(L, v);
		lua_setfield(L, -2, k);
	}
}

void nrb_lua_setint(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

void nrb_lua_setnum(lua_State *L, const char *k, lua_Number v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

void nrb_lua_setbool(lua_State *L, const char *k, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

static int msghandler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (msg == NULL) {
		/* error object is not a string: keep tables (structured errors) as they are */
		if (lua_type(L, 1) == LUA_TTABLE)
			return 1;
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			return 1;
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

int nrb_lua_pcall(lua_State *L, int nargs, int nresults)
{
	int base = lua_gettop(L) - nargs; /* function index */
	int status;

	lua_pushcfunction(L, msghandler);
	lua_insert(L, base);
	status = lua_pcall(L, nargs, nresults, base);
	lua_remove(L, base);
	return status;
}

static int on_panic(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);

	fprintf(stderr, "nrb: internal error (unprotected Lua error): %s\n", msg ? msg : "?");
	return 0; /* Lua aborts after this */
}

/* Append printf-style text to buf (size n, *len used so far), truncating quietly. */
__attribute__((format(printf, 4, 5)))
static void buf_add(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*len + 1 >= n)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *len, n - *len, fmt, ap);
	va_end(ap);
	if (w > 0)
		*len = (size_t)w >= n - *len ? n - 1 : *len + (size_t)w;
}

/* A short, printable rendering of the scalar at idx (strings quoted and cut). */
static void describe_scalar(lua_State *L, int idx, char *buf, size_t n, size_t *len)
{
	switch (lua_type(L, idx)) {
	case LUA_TSTRING: {
		size_t sl, i;
		const char *str = lua_tolstring(L, idx, &sl);

		buf_add(buf, n, len, "\"");
		for (i = 0; i < sl && i < 40; i++)
			buf_add(buf, n, len, "%c", str[i] >= 0x20 && str[i] < 0x7f ? str[i] : '?');
		buf_add(buf, n, len, "%s\"", sl > 40 ? "..." : "");
		break;
	}
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			buf_add(buf, n, len, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
		else
			buf_add(buf, n, len, "%.14g", (double)lua_tonumber(L, idx));
		break;
	case LUA_TBOOLEAN:
		buf_add(buf, n, len, "%s", lua_toboolean(L, idx) ? "true" : "false");
		break;
	default:
		buf_add(buf, n, len, "%s", luaL_typename(L, idx));
	}
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* "{code = 1, msg = \"x\"}": the first entries of a table error object, sorted. */
static void describe_table(lua_State *L, int idx, char *buf, size_t n, size_t *len)
{
	enum { MAX_ENTRIES = 12, ENTRY = 96 };
	char entries[MAX_ENTRIES][ENTRY];
	size_t ne = 0, more = 0;

	idx = lua_absindex(L, idx);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (ne < MAX_ENTRIES) {
			size_t el = 0;

			if (lua_type(L, -2) == LUA_TSTRING) {
				buf_add(entries[ne], ENTRY, &el, "%.40s = ", lua_tostring(L, -2));
			} else {
				buf_add(entries[ne], ENTRY, &el, "[");
				describe_scalar(L, -2, entries[ne], ENTRY, &el);
				buf_add(entries[ne], ENTRY, &el, "] = ");
			}
			describe_scalar(L, -1, entries[ne], ENTRY, &el);
			ne++;
		} else {
			more++;
		}
		lua_pop(L, 1);
	}
	qsort(entries, ne, ENTRY, cmp_entry);
	buf_add(buf, n, len, "{");
	for (size_t i = 0; i < ne; i++)
		buf_add(buf, n, len, "%s%s", i ? ", " : "", entries[i]);
	if (more)
		buf_add(buf, n, len, ", ... %zu more", more);
	buf_add(buf, n, len, "}");
}

int nrb_lua_msghandler(lua_State *L)
{
	char text[512];
	size_t len = 0;
	int t = lua_type(L, 1);

	if (t == LUA_TSTRING) {
		luaL_traceback(L, L, lua_tostring(L, 1), 1);
		return 1;
	}
	/* Not a string: no position was added by error(); take the first Lua frame's. */
	for (int level = 1; level < 8; level++) {
		lua_Debug ar;

		if (!lua_getstack(L, level, &ar))
			break;
		if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
			buf_add(text, sizeof text, &len, "%s:%d: ", ar.short_src, ar.currentline);
			break;
		}
	}
	if (t == LUA_TNIL || t == LUA_TNONE) {
		buf_add(text, sizeof text, &len, "error with no message");
	} else if (luaL_getmetafield(L, 1, "__tostring") != LUA_TNIL) {
		/* a __tostring that raises (or returns no string) must not turn the error
		 * into a second, unprotected one */
		lua_pushvalue(L, 1);
		if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
			buf_add(text, sizeof text, &len, "%s", lua_tostring(L, -1));
		} else {
			buf_add(text, sizeof text, &len, "error object (a %s whose __tostring failed", luaL_typename(L, 1));
			if (lua_type(L, -1) == LUA_TSTRING)
				buf_add(text, sizeof text, &len, ": %.200s", lua_tostring(L, -1));
			buf_add(text, sizeof text, &len, ")");
		}
		lua_pop(L, 1);
	} else if (t == LUA_TTABLE) {
		buf_add(text, sizeof text, &len, "error object ");
		describe_table(L, 1, text, sizeof text, &len);
	} else if (t == LUA_TNUMBER) {
		describe_scalar(L, 1, text, sizeof text, &len);
	} else {
		buf_add(text, sizeof text, &len, "error object (a %s value: ", luaL_typename(L, 1));
		describe_scalar(L, 1, text, sizeof text, &len);
		buf_add(text, sizeof text, &len, ")");
	}
	luaL_traceback(L, L, text, 1);
	return 1;
}

/*
 * The count hook: the only place a long-running Lua loop can be stopped.  It raises only
 * inside nrb_host_pcall_limited() (a step, a `when`/`with`/verdict function); outside,
 * the runner polls host.interrupted() itself, so the error never hits code that would
 * lose the partial report.  Once it decides to stop (Ctrl-C/SIGTERM for a step, or the
 * deadline passed) the decision is sticky: the hook then runs on every instruction, of
 * whichever coroutine runs, and raises the same message each time, so a runbook's
 * `while true do pcall(f) end` cannot catch the error and carry on.  Only C code runs
 * between the call's unwinding and nrb_host_pcall_limited() disarming the hook.
 */
static void count_hook(lua_State *L, lua_Debug *ar)
{
	struct nrb_host *h = nrb_host_from(L);

	if (!h->in_step) {
		/* a coroutine left at the fast pace by a stopped call goes back to normal */
		if (lua_gethookcount(L) != NRB_HOOK_INSTRUCTIONS)
			lua_sethook(L, count_hook, LUA_MASKCOUNT, NRB_HOOK_INSTRUCTIONS);
		return;
	}
	if (!h->stopping) {
		if (h->interruptible && nrb_interrupted()) {
			snprintf(h->stop_msg, sizeof h->stop_msg, "interrupted");
		} else if (nrb_now_us() > h->deadline_us) {
			/* say where the step was spinning: the hook itself has no source position */
			if (lua_getstack(L, 0, ar) && lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
				snprintf(h->stop_msg, sizeof h->stop_msg, "%s:%d: step time limit of %d ms exceeded",
				         ar->short_src, ar->currentline, h->deadline_ms);
			else
				snprintf(h->stop_msg, sizeof h->stop_msg, "step time limit of %d ms exceeded",
				         h->deadline_ms);
		} else {
			return;
		}
		h->stopping = 1;
	}
	if (lua_gethookcount(L) != 1)
		lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
	if (L != h->L && lua_gethookcount(h->L) != 1)
		lua_sethook(h->L, count_hook, LUA_MASKCOUNT, 1); /* the thread that resumed us */
	lua_pushstring(L, h->stop_msg);
	lua_error(L);
}

int nrb_host_pcall_limited(lua_State *L, int nargs, int nresults, int ms, int interruptible)
{
	struct nrb_host *h = nrb_host_from(L);
	int base = lua_gettop(L) - nargs; /* function index */
	int status;

	lua_pushcfunction(L, nrb_lua_msghandler);
	lua_insert(L, base);
	h->deadline_us = nrb_now_us() + (uint64_t)ms * 1000u;
	h->deadline_ms = ms;
	h->interruptible = interruptible;
	h->stopping = 0;
	h->in_step = 1;
	status = lua_pcall(L, nargs, nresults, base);
	h->in_step = 0;
	h->stopping = 0;
	h->deadline_us = 0;
	lua_sethook(h->L, count_hook, LUA_MASKCOUNT, NRB_HOOK_INSTRUCTIONS);
	if (L != h->L)
		lua_sethook(L, count_hook, LUA_MASKCOUNT, NRB_HOOK_INSTRUCTIONS);
	lua_remove(L, base);
	return status;
}

void nrb_host_interrupt_honoured(lua_State *L)
{
	struct nrb_host *h = nrb_host_from(L);

	if (h->in_step && !h->stopping)
		h->interruptible = 0;
}

/* lua_load reader over the embedded chunk with the file's path as its source name: the
 * chunk up to the placeholder name, the path, the rest. */
struct embed_reader {
	const struct nrb_embedded_lua *e;
	unsigned char name[16 + 4096];
	size_t name_len;
	int part;
};

static const char *embed_read(lua_State *L, void *ud, size_t *size)
{
	struct embed_reader *r = ud;

	(void)L;
	switch (r->part++) {
	case 0:
		*size = r->e->name_off;
		return (const char *)r->e->chunk;
	case 1:
		*size = r->name_len;
		return (const char *)r->name;
	case 2:
		*size = r->e->chunk_len - r->e->name_off - r->e->name_len;
		return (const char *)r->e->chunk + r->e->name_off + r->e->name_len;
	default:
		*size = 0;
		return NULL;
	}
}

/* The embedded chunk of module NAME if it was compiled from exactly BUF. */
static const struct nrb_embedded_lua *embedded_for(const char *name, const char *buf, size_t len)
{
	for (const struct nrb_embedded_lua *e = nrb_embedded_lua; e->module; e++)
		if (strcmp(e->module, name) == 0)
			return e->source_len == len && memcmp(e->source, buf, len) == 0 ? e : NULL;
	return NULL;
}

/* Push the embedded chunk E as loaded from PATH; LUA_OK or (nothing pushed) an error. */
static int load_embedded(lua_State *L, const struct nrb_embedded_lua *e, const char *path)
{
	struct embed_reader r = {.e = e};
	int rc;

	if (e->name_off + e->name_len > e->chunk_len)
		return LUA_ERRSYNTAX;
	r.name_len = nrb_embed_encode_name(r.name, sizeof r.name, "@", path);
	if (!r.name_len)
		return LUA_ERRSYNTAX;
	lua_pushfstring(L, "@%s", path);
	rc = lua_load(L, embed_read, &r, lua_tostring(L, -1), "b");
	lua_remove(L, -2); /* chunk name */
	if (rc != LUA_OK)
		lua_pop(L, 1); /* a liblua that cannot read this build's chunks: use the text */
	return rc;
}

/* Read PATH and push it compiled (text only), or the embedded chunk of module MODULE when
 * PATH holds exactly the source it was compiled from (see lua/embed.h). */
static int load_lua_file(lua_State *L, const char *path, const char *module, int env_idx,
                         char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (env_idx)
		env_idx = lua_absindex(L, env_idx);
	rc = nrb_read_file(path, NRB_MAX_SOURCE_BYTES, &buf, &len, err, errlen);
	if (rc < 0) {
		lua_pushnil(L);
		return rc;
	}
	const struct nrb_embedded_lua *e = module ? embedded_for(module, buf, len) : NULL;
	if (e && load_embedded(L, e, path) == LUA_OK) {
		struct nrb_host *h = nrb_host_from(L);

		free(buf);
		if (h)
			h->embedded_loads++;
	} else {
		lua_pushfstring(L, "@%s", path);
		rc = luaL_loadbufferx(L, buf, len, lua_tostring(L, -1), "t");
		free(buf);
		lua_remove(L, -2); /* chunk name */
		if (rc != LUA_OK) {
			snprintf(err, errlen, "%s", lua_tostring(L, -1));
			lua_pop(L, 1);
			lua_pushnil(L);
			return -EINVAL;
		}
	}
	if (env_idx) {
		lua_pushvalue(L, env_idx);
		if (!lua_setupvalue(L, -2, 1))
			lua_pop(L, 1);
	}
	return 0;
}

int nrb_host_load_lua(lua_State *L, const char *path, int env_idx, char *err, size_t errlen)
{
	return load_lua_file(L, path, NULL, env_idx, err, errlen);
}

/*
 * package.searchers[2] replacement: look the module up in package.path (which the host
 * sets to the data roots' lua/ folders) and load it as text only; the one exception is
 * the library's own chunks compiled into this binary, for a file that holds exactly
 * their source.  The stock searcher would accept any precompiled chunk.
 */
static int searcher_text(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	const char *path;
	char err[512];

	lua_getglobal(L, "package");
	lua_getfield(L, -1, "path");
	path = lua_tostring(L, -1);
	if (!path)
		return luaL_error(L, "package.path must be a string");
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "searchpath");
	lua_pushstring(L, name);
	lua_pushstring(L, path);
	lua_call(L, 2, 2);
	if (lua_isnil(L, -2))
		return 1; /* the "no file ..." message */
	path = lua_tostring(L, -2);
	if (load_lua_file(L, path, name, 0, err, sizeof err) < 0)
		return luaL_error(L, "error loading module '%s': %s", name, err);
	lua_pushstring(L, path);
	return 2;
}

/* `load` for everyone: text chunks only, whatever mode the caller asks for. */
static int l_load_text(lua_State *L)
{
	int env = !lua_isnone(L, 4);
	int status;
	size_t len;
	const char *s = lua_tolstring(L, 1, &len);
	const char *chunkname = luaL_optstring(L, 2, s ? s : "=(load)");

	if (s == NULL)
		return luaL_argerror(L, 1, "load accepts only a string in nrb");
	status = luaL_loadbufferx(L, s, len, chunkname, "t");
	if (status != LUA_OK) {
		luaL_pushfail(L);
		lua_insert(L, -2);
		return 2;
	}
	if (env) {
		lua_pushvalue(L, 4);
		if (!lua_setupvalue(L, -2, 1))
			lua_pop(L, 1);
	}
	return 1;
}

static void set_nil(lua_State *L, int t, const char *const *names)
{
	t = lua_absindex(L, t);
	for (; *names; names++) {
		lua_pushnil(L);
		lua_setfield(L, t, *names);
	}
}

/* Build package.path from the data roots: ROOT/lua/?.lua;ROOT/lua/?/init.lua;... */
static void set_package_path(lua_State *L, const struct nrb_host_opts *o)
{
	luaL_Buffer b;

	luaL_buffinit(L, &b);
	for (size_t i = 0; i < o->nroots; i++) {
		if (i)
			luaL_addchar(&b, ';');
		lua_pushfstring(L, "%s/lua/?.lua;%s/lua/?/init.lua", o->roots[i], o->roots[i]);
		luaL_addvalue(&b);
	}
	luaL_pushresult(&b);
}

static int setup(lua_State *L)
{
	struct nrb_host *h = lua_touserdata(L, 1);
	static const luaL_Reg libs[] = {
		{LUA_GNAME, luaopen_base},     {LUA_LOADLIBNAME, luaopen_package},
		{LUA_COLIBNAME, luaopen_coroutine}, {LUA_TABLIBNAME, luaopen_table},
		{LUA_OSLIBNAME, luaopen_os},   {LUA_STRLIBNAME, luaopen_string},
		{LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8},
		{LUA_DBLIBNAME, luaopen_debug}, {NULL, NULL},
	};
	static const luaL_Reg preload[] = {
		{"nrb.core.host", luaopen_nrb_core_host},
		{"nrb.core.json", luaopen_nrb_core_json},
		{"nrb.core.probe", luaopen_nrb_core_probe},
		{"nrb.core.yaml", luaopen_nrb_core_yaml},
		{"nrb.core.fw", luaopen_nrb_core_fw},
		{"nrb.core.capture", luaopen_nrb_core_capture},
		{NULL, NULL},
	};
	static const char *const no_base[] = {"dofile", "loadfile", NULL};
	static const char *const no_os[] = {"execute", "exit", "remove", "rename", "tmpname",
	                                    "setlocale", "getenv", NULL};
	static const char *const no_pkg[] = {"loadlib", NULL};

	*(struct nrb_host **)lua_getextraspace(L) = h;
	for (const luaL_Reg *lib = libs; lib->func; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	/* io is never opened; the rest is trimmed to what a diagnosis needs. */
	lua_pushglobaltable(L);
	set_nil(L, -1, no_base);
	lua_pushcfunction(L, l_load_text);
	lua_setfield(L, -2, "load");
	lua_pop(L, 1);
	lua_getglobal(L, "os");
	set_nil(L, -1, no_os);
	lua_pop(L, 1);
	lua_getglobal(L, "string");
	set_nil(L, -1, (const char *const[]){"dump", NULL});
	lua_pop(L, 1);
	/* Lock the string metatable so a runbook cannot reach or change it. */
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);
	lua_pushliteral(L, "locked");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 2);

	lua_getglobal(L, "package");
	set_nil(L, -1, no_pkg);
	lua_pushliteral(L, "");
	lua_setfield(L, -2, "cpath");
	set_package_path(L, &h->opts);
	lua_setfield(L, -2, "path");
	/* searchers: preload (the C bindings), then text-only Lua files; no C loaders */
	lua_getfield(L, -1, "searchers");
	lua_rawgeti(L, -1, 1);
	lua_newtable(L);
	lua_insert(L, -2);
	lua_rawseti(L, -2, 1);
	lua_pushcfunction(L, searcher_text);
	lua_rawseti(L, -2, 2);
	lua_setfield(L, -3, "searchers");
	lua_pop(L, 1); /* old searchers */
	lua_getfield(L, -1, "preload");
	luaL_setfuncs(L, preload, 0);
	lua_pop(L, 2); /* preload, package */
	return 0;
}

int nrb_host_new(const struct nrb_host_opts *opts, struct nrb_host **out,
                 char *err, size_t errlen)
{
	struct nrb_host *h;
	int rc;

	if (!opts || !out || (opts->nroots && !opts->roots) ||
	    (opts->nrunbook_dirs && !opts->runbook_dirs))
		return nrb_err(err, errlen, EINVAL, "host: bad options");
	*out = NULL;
	h = calloc(1, sizeof *h);
	if (!h)
		return nrb_err(err, errlen, ENOMEM, "host: out of memory");
	h->opts = *opts;
	h->L = luaL_newstate();
	if (!h->L) {
		free(h);
		return nrb_err(err, errlen, ENOMEM, "host: cannot create Lua state");
	}
	lua_atpanic(h->L, on_panic);
	lua_pushcfunction(h->L, setup);
	lua_pushlightuserdata(h->L, h);
	rc = nrb_lua_pcall(h->L, 1, 0);
	if (rc != LUA_OK) {
		nrb_err(err, errlen, EINVAL, "host setup: %s", lua_tostring(h->L, -1));
		nrb_host_free(h);
		return -EINVAL;
	}
	lua_sethook(h->L, count_hook, LUA_MASKCOUNT, NRB_HOOK_INSTRUCTIONS);
	*out = h;
	return 0;
}

unsigned nrb_host_embedded_loads(const struct nrb_host *h)
{
	return h->embedded_loads;
}

lua_State *nrb_host_state(struct nrb_host *h)
{
	return h ? h->L : NULL;
}

void nrb_host_free(struct nrb_host *h)
{
	if (!h)
		return;
	if (h->L)
		lua_close(h->L);
	free(h);
}

int nrb_host_call_main(struct nrb_host *h, const char *module, const char *func)
{
	lua_State *L = h->L;
	int rc;

	/* stack: opts */
	lua_getglobal(L, "require");
	lua_pushstring(L, module);
	if (nrb_lua_pcall(L, 1, 1) != LUA_OK) {
		/* nrb's own Lua library is missing or broken: the installation, not the input */
		fprintf(stderr, "nrb: cannot load %s (is the nrb data folder complete?): %s\n", module,
		        lua_tostring(L, -1));
		lua_pop(L, 2);
		return 3;
	}
	lua_getfield(L, -1, func);
	lua_remove(L, -2);
	lua_insert(L, -2); /* func, opts */
	if (nrb_lua_pcall(L, 1, 1) != LUA_OK) {
		fprintf(stderr, "nrb: internal error: %s\n", lua_tostring(L, -1));
		lua_pop(L, 1);
		return 1;
	}
	rc = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 1;
	lua_pop(L, 1);
	return rc;
}
