/*
 * host: the one Lua state a run of nrb uses, and everything about its safety.
 *
 * The host owns the lua_State: which standard libraries are open (no io, a trimmed os,
 * `load` forced to text chunks, no dofile/loadfile/loadlib), how `require` finds modules
 * (package.preload for the C bindings `nrb.core.*`, then Lua files below the data roots'
 * `lua/` folders, text chunks only), the count hook that turns Ctrl-C and runaway loops
 * into Lua errors, and nrb_lua_pcall(), the single way C calls into Lua (with a traceback).
 *
 * Runbooks never see this state's globals directly: lua/nrb/sandbox.lua builds a fresh,
 * strict _ENV for each runbook from an allow-list.  The host also exports `nrb.core.host`,
 * the privileged helpers that only the trusted library in lua/nrb uses (file reads for
 * runbooks and templates, atomic report writes, clock, vantage facts).
 */
#ifndef NRB_HOST_H
#define NRB_HOST_H

#include <stddef.h>
#include <lua.h>

/** Where the host looks for things.  All arrays are borrowed for the host's lifetime. */
struct nrb_host_opts {
	const char *const *roots;        /* data roots: each has lua/, runbooks/, reports/ */
	size_t nroots;                   /* entries in roots */
	const char *const *runbook_dirs; /* extra runbook folders (--runbook-path, NRB_PATH) */
	size_t nrunbook_dirs;            /* entries in runbook_dirs */
	long instruction_limit;          /* 0: no limit; else max VM instructions per deadline window */
};

struct nrb_host;

/**
 * Create a host: a new lua_State with the sandboxed library set, the preloaded C modules
 * and the module searcher.  Setup itself runs under pcall.
 * @param out receives the host (caller frees with nrb_host_free()).
 * @return 0, or -ENOMEM / -EINVAL with err filled.
 */
int nrb_host_new(const struct nrb_host_opts *opts, struct nrb_host **out,
                 char *err, size_t errlen);

/** @return the host's Lua state (borrowed). */
lua_State *nrb_host_state(struct nrb_host *h);

/** Close the Lua state and free the host; NULL is allowed. */
/**
 * How many library modules this host loaded from the chunks compiled into the binary
 * (lua/embed.h) rather than from their text: for tests and `nrb --version`'s detail.
 */
unsigned nrb_host_embedded_loads(const struct nrb_host *h);

void nrb_host_free(struct nrb_host *h);

/**
 * lua_pcall with a message handler that appends a traceback to string errors.
 * Stack: [-(nargs+1), +(nresults|1), -]: on error the message is left on the stack.
 * @return the lua_pcall status (LUA_OK on success).
 */
int nrb_lua_pcall(lua_State *L, int nargs, int nresults);

/**
 * Run `require(module)[func](opts)` where opts is the table at the top of the stack
 * (popped).  This is how main.c enters the Lua side of every subcommand.
 * @return the integer the Lua function returned (an exit status), 1 when it raised, 3
 *         when the module cannot be loaded (an installation problem); the error and
 *         traceback are printed on stderr.
 */
int nrb_host_call_main(struct nrb_host *h, const char *module, const char *func);

/* Openers of the C modules; host.c registers them in package.preload. */
int luaopen_nrb_core_host(lua_State *L);  /* l_host.c: privileged helpers */
int luaopen_nrb_core_json(lua_State *L);  /* l_json.c: JSON encode/decode (json-c) */
int luaopen_nrb_core_probe(lua_State *L); /* l_probe.c: tcp_connect, resolve */
int luaopen_nrb_core_yaml(lua_State *L);  /* l_yaml.c: YAML runbook loader */
int luaopen_nrb_core_fw(lua_State *L);    /* l_fw.c: firewall rulesets, evaluation, counters */
int luaopen_nrb_core_capture(lua_State *L); /* l_capture.c: capture analysis */

#endif
