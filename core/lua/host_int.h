/* Internals shared by host.c and the binding files of the host (not a public API). */
#ifndef NRB_HOST_INT_H
#define NRB_HOST_INT_H

#include <stdint.h>
#include "lua/host.h"

struct nrb_host {
	lua_State *L;              /* the run's Lua state */
	struct nrb_host_opts opts; /* search paths (arrays borrowed from the caller) */
	uint64_t deadline_us;      /* monotonic deadline for the running step */
	int deadline_ms;           /* the step's time limit, for the message */
	int in_step;               /* a step's protected call runs: the count hook may raise */
	int interruptible;         /* that call stops on Ctrl-C/SIGTERM (a step), not only on time */
	int stopping;              /* the hook decided to stop the call: it raises stop_msg on every
	                            * instruction until the call has unwound (sticky, so a pcall in
	                            * the runbook cannot swallow it and spin on) */
	char stop_msg[256];        /* "interrupted" or "FILE:LINE: step time limit of N ms exceeded" */
	unsigned embedded_loads;   /* modules loaded from the chunks built in (lua/embed.h) */
};

/**
 * The count hook's message handler, also `host.traceback`: turns any error object into
 * text with a traceback, never raising itself.  Strings keep their text; nil becomes
 * "error with no message"; a table or userdata uses its __tostring (called protected) or
 * is described ({code = 1}); the file:line of the first Lua frame is prefixed where the
 * object carries no position.  Stack: [-0, +1, -].
 */
int nrb_lua_msghandler(lua_State *L);

/**
 * Run the function at index fidx (arguments above it) under lua_pcall with
 * nrb_lua_msghandler, armed with a deadline of ms milliseconds: the count hook raises
 * once the deadline passes and, if interruptible, on Ctrl-C/SIGTERM, and keeps raising
 * until this call has unwound.  The hook is disarmed before returning, so the caller's
 * own Lua code never sees the error.  Stack: [-(n+1), +(results|1), -].
 * @return the lua_pcall status.
 */
int nrb_host_pcall_limited(lua_State *L, int nargs, int nresults, int ms, int interruptible);

/**
 * Called by a binding that saw Ctrl-C/SIGTERM, ended its wait early and returns what it
 * gathered (capture stop): the running step may finish building its evidence from it
 * instead of being stopped with "interrupted" at its next instructions.  Only the
 * interrupt is waived, and only for this call; the time limit still applies.  No effect
 * outside a limited call or once the hook has started raising.  Stack: [-0, +0, -].
 */
void nrb_host_interrupt_honoured(lua_State *L);

/** @return the host that owns L (stored in the state's extra space). */
struct nrb_host *nrb_host_from(lua_State *L);

/**
 * Load a file as a Lua text chunk named "@path" (never bytecode) and, when env_idx is
 * non-zero, set that table as the chunk's _ENV.
 * Stack: [-0, +1, -]: pushes the function, or nil when the load failed (message in err).
 */
int nrb_host_load_lua(lua_State *L, const char *path, int env_idx, char *err, size_t errlen);

/**
 * Raise an argument error naming the first key of the option table at arg that is not
 * in allowed (NULL-terminated): option tables reject unknown keys so a typo such as
 * `timeout = 5` is reported instead of silently ignored.  Stack: [-0, +0, v].
 */
void nrb_lua_check_keys(lua_State *L, int arg, const char *const *allowed);

/**
 * Mark the table at the top of the stack as a JSON array (metatable "nrb.json.array", the
 * one json.array() sets), so that an empty list in evidence encodes as [] and not {}.
 * Creates the metatable if nrb.core.json was not loaded yet.  Stack: [-0, +0, m].
 */
void nrb_lua_mark_array(lua_State *L);

/* Field setters for the table at the top of the stack (the bindings build result tables
 * with these).  Stack: [-0, +0, m].  nrb_lua_setstr skips a NULL value (no field). */
void nrb_lua_setstr(lua_State *L, const char *k, const char *v);
void nrb_lua_setint(lua_State *L, const char *k, lua_Integer v);
void nrb_lua_setnum(lua_State *L, const char *k, lua_Number v);
void nrb_lua_setbool(lua_State *L, const char *k, int v);

#endif
