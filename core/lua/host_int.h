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
	int in_step;               /* a step is running: the count hook may raise */
	int interrupt_raised;      /* the "interrupted" error was raised once already */
	int deadline_raised;       /* the time-limit error was raised for this deadline */
};

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

/* Field setters for the table at the top of the stack (the bindings build result tables
 * with these).  Stack: [-0, +0, m].  nrb_lua_setstr skips a NULL value (no field). */
void nrb_lua_setstr(lua_State *L, const char *k, const char *v);
void nrb_lua_setint(lua_State *L, const char *k, lua_Integer v);
void nrb_lua_setnum(lua_State *L, const char *k, lua_Number v);
void nrb_lua_setbool(lua_State *L, const char *k, int v);

#endif
