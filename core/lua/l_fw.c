/* l_fw: Lua binding of the firewall engine (core/fw), `require "nrb.core.fw"`.
 *
 *   fw.ruleset([{text=, format=}])       -> table | nil, msg
 *   fw.evaluate{proto=, src=, dst=, sport=, dport=, icmp_type=, direction=, iif=, oif=,
 *               state=, family=, ruleset=SNAPSHOT | text=, format=}
 *                                        -> {decision=, assumed=, path={...}, notes={...},
 *                                            deciding=, problems={...}, ...} | nil, msg
 *   fw.snapshot([{text=, format=}])      -> "nrb.fw.snapshot" userdata | nil, msg
 *   snap:diff(later[, min_packets])      -> { {ref=, packets=, bytes=, table=, chain=}, ... }
 *   snap:problems()                      -> { "iptables-save: ...", ... } sources not read
 *
 * A live read can succeed in part: `problems` lists the sources that failed (also in
 * the ruleset table, and in a snapshot), and the ones that leave rules unseen are in
 * `unread` and make every decision "uncertain" with a note (the engine does that).
 *
 * Without text= the live ruleset of the current network namespace is read.  Caller
 * mistakes (unknown option key, wrong type, bad enumeration, bad address) raise; the
 * environment failing (no permission, no nft/iptables) returns nil, msg.  This file only
 * copies arguments into engine structs and results into plain tables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "fw/fw.h"
#include "lua/host_int.h"

#define SNAP_MT "nrb.fw.snapshot"

struct l_snap {
	struct nrb_fw_ruleset *rs; /* owned; NULL once closed */
	char *problems;            /* owned: sources that failed ("...\n..."), or NULL */
};

#define check_snap(L, i) ((struct l_snap *)luaL_checkudata(L, i, SNAP_MT))

static const char *opt_string(lua_State *L, int idx, const char *key)
{
	const char *s = NULL;

	if (lua_getfield(L, idx, key) != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "option '%s' must be a string", key);
		s = lua_tostring(L, -1); /* the table keeps it alive */
	}
	lua_pop(L, 1);
	return s;
}

static int opt_int(lua_State *L, int idx, const char *key, int lo, int hi, int def)
{
	int v = def;

	if (lua_getfield(L, idx, key) != LUA_TNIL) {
		int isnum;
		lua_Integer x = lua_tointegerx(L, -1, &isnum);

		if (!isnum || x < lo || x > hi)
			luaL_error(L, "option '%s' must be an integer in %d..%d", key, lo, hi);
		v = (int)x;
	}
	lua_pop(L, 1);
	return v;
}

/* The value of an enumeration option at the top of the stack: its index in list, or raise. */
static int top_enum(lua_State *L, const char *key, const char *const list[])
{
	const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	char all[128] = "";

	for (int i = 0; list[i]; i++) {
		if (v && !strcmp(v, list[i]))
			return i;
		if (strlen(all) + strlen(list[i]) + 2 < sizeof all) {
			strcat(all, i ? "|" : "");
			strcat(all, list[i]);
		}
	}
	return luaL_error(L, "option '%s' must be one of %s", key, all);
}

/* Build a ruleset from {text=, format=} at idx (0: none), or read the live one.
 * @param problems receives the sources that failed to read (caller frees), or NULL
 * @return ruleset, or NULL with nil, msg pushed (environment or bad text) */
static struct nrb_fw_ruleset *get_ruleset(lua_State *L, int idx, char **problems)
{
	static const char *const formats[] = {"iptables", "ip6tables", "nft", NULL};
	struct nrb_fw_ruleset *rs = NULL;
	char err[1024];
	const char *text = NULL;
	size_t len = 0;
	int e;

	*problems = NULL;
	if (idx) {
		if (lua_getfield(L, idx, "text") != LUA_TNIL) {
			if (lua_type(L, -1) != LUA_TSTRING)
				luaL_error(L, "option 'text' must be a string");
			text = lua_tolstring(L, -1, &len);
		}
		lua_pop(L, 1);
	}
	if (text) {
		int fmt;

		lua_getfield(L, idx, "format");
		if (lua_isnil(L, -1))
			luaL_error(L, "option 'format' (iptables|ip6tables|nft) is required with 'text'");
		fmt = top_enum(L, "format", formats);
		lua_pop(L, 1);
		rs = nrb_fw_ruleset_new();
		if (!rs)
			luaL_error(L, "out of memory");
		if (fmt == 2)
			e = nrb_fw_parse_nft_json(rs, text, len, "nft", 1, err, sizeof err);
		else
			e = nrb_fw_parse_iptables(rs, text, len, fmt == 1 ? 6 : 4,
			                          fmt == 1 ? "ip6tables-save" : "iptables-save", err, sizeof err);
		if (e) {
			nrb_fw_ruleset_free(rs);
			lua_pushnil(L);
			lua_pushstring(L, err);
			return NULL;
		}
		return rs;
	}
	e = nrb_fw_read_live(NRB_FW_READ_ALL, &rs, problems, err, sizeof err);
	if (e) {
		free(*problems); /* err says it all */
		*problems = NULL;
		lua_pushnil(L);
		lua_pushstring(L, err);
		return NULL;
	}
	return rs;
}

/* A list of strings: each line of text (NULL: empty list). */
static void push_lines(lua_State *L, const char *text)
{
	lua_Integer n = 0;

	lua_newtable(L);
	while (text && *text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);

		if (len) {
			lua_pushlstring(L, text, len);
			lua_rawseti(L, -2, ++n);
		}
		text += len + (nl ? 1 : 0);
	}
	nrb_lua_mark_array(L);
}

/* A list of the ruleset's unread sources. */
static void push_unread(lua_State *L, const struct nrb_fw_ruleset *rs)
{
	lua_createtable(L, (int)rs->nunread, 0);
	for (size_t i = 0; i < rs->nunread; i++) {
		lua_pushstring(L, rs->unread[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nrb_lua_mark_array(L);
}

static void push_managers(lua_State *L, unsigned m)
{
	int n = 0;

	lua_newtable(L);
	for (unsigned bit = 1; bit <= NRB_FW_MGR_DOCKER; bit <<= 1)
		if (m & bit) {
			lua_pushstring(L, nrb_fw_manager_name(bit));
			lua_rawseti(L, -2, ++n);
		}
	nrb_lua_mark_array(L);
}

static void push_ruleset(lua_State *L, const struct nrb_fw_ruleset *rs, const char *problems)
{
	char ref[1024];

	lua_createtable(L, 0, 6);
	lua_createtable(L, (int)rs->ntables, 0);
	for (size_t t = 0; t < rs->ntables; t++) {
		const struct nrb_fw_table *tb = rs->tables[t];

		lua_createtable(L, 0, 6);
		nrb_lua_setstr(L, "family", nrb_fw_tfamily_name(tb->family));
		nrb_lua_setstr(L, "name", tb->name);
		nrb_lua_setstr(L, "origin", tb->origin == NRB_FW_ORIGIN_NFT ? "nft" : "iptables");
		nrb_lua_setstr(L, "source", tb->source);
		lua_createtable(L, (int)tb->nchains, 0);
		for (size_t c = 0; c < tb->nchains; c++) {
			const struct nrb_fw_chain *ch = tb->chains[c];

			lua_createtable(L, 0, 6);
			nrb_lua_setstr(L, "name", ch->name);
			if (ch->hook != NRB_FW_HOOK_NONE) {
				nrb_lua_setstr(L, "hook", nrb_fw_hook_name(ch->hook));
				nrb_lua_setint(L, "prio", ch->prio);
				nrb_lua_setstr(L, "type", ch->type == NRB_FW_CT_NAT ? "nat"
				                   : ch->type == NRB_FW_CT_ROUTE ? "route" : "filter");
			}
			if (ch->has_policy)
				nrb_lua_setstr(L, "policy", nrb_fw_vkind_name(ch->policy));
			lua_createtable(L, (int)ch->nrules, 0);
			for (size_t r = 0; r < ch->nrules; r++) {
				const struct nrb_fw_rule *ru = ch->rules[r];

				lua_createtable(L, 0, 10);
				nrb_lua_setstr(L, "ref", nrb_fw_rule_ref(ru, ref, sizeof ref));
				nrb_lua_setint(L, "index", ru->index);
				if (ru->line)
					nrb_lua_setint(L, "line", ru->line);
				if (ru->handle)
					nrb_lua_setint(L, "handle", (lua_Integer)ru->handle);
				nrb_lua_setstr(L, "text", ru->text);
				nrb_lua_setstr(L, "comment", ru->comment);
				nrb_lua_setstr(L, "verdict", nrb_fw_vkind_name(ru->verdict));
				nrb_lua_setstr(L, "target", ru->target);
				nrb_lua_setstr(L, "reject_with", ru->reject_with);
				if (ru->has_counter) {
					nrb_lua_setint(L, "packets", (lua_Integer)ru->packets);
					nrb_lua_setint(L, "bytes", (lua_Integer)ru->bytes);
				}
				lua_rawseti(L, -2, (lua_Integer)r + 1);
			}
			nrb_lua_mark_array(L); /* a list, [] when empty */
			lua_setfield(L, -2, "rules");
			lua_rawseti(L, -2, (lua_Integer)c + 1);
		}
		nrb_lua_mark_array(L); /* a list, [] when empty */
		lua_setfield(L, -2, "chains");
		lua_rawseti(L, -2, (lua_Integer)t + 1);
	}
	nrb_lua_mark_array(L); /* a list, [] when empty */
	lua_setfield(L, -2, "tables");
	nrb_lua_setint(L, "nrules", (lua_Integer)rs->nrules);
	push_managers(L, nrb_fw_managers(rs));
	lua_setfield(L, -2, "managers");
	lua_createtable(L, (int)rs->nwarnings, 0);
	for (size_t i = 0; i < rs->nwarnings; i++) {
		lua_pushstring(L, rs->warnings[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nrb_lua_mark_array(L); /* a list, [] when empty */
	lua_setfield(L, -2, "warnings");
	push_lines(L, problems);
	lua_setfield(L, -2, "problems");
	push_unread(L, rs);
	lua_setfield(L, -2, "unread");
}

static const char *const source_keys[] = {"text", "format", NULL};

static int l_fw_ruleset(lua_State *L)
{
	struct nrb_fw_ruleset *rs;
	char *problems;
	int idx = 0;

	if (!lua_isnoneornil(L, 1)) {
		luaL_checktype(L, 1, LUA_TTABLE);
		nrb_lua_check_keys(L, 1, source_keys);
		idx = 1;
	}
	rs = get_ruleset(L, idx, &problems);
	if (!rs)
		return 2;
	push_ruleset(L, rs, problems);
	nrb_fw_ruleset_free(rs);
	free(problems);
	return 1;
}

static int l_fw_snapshot(lua_State *L)
{
	struct l_snap *s;
	int idx = 0;

	if (!lua_isnoneornil(L, 1)) {
		luaL_checktype(L, 1, LUA_TTABLE);
		nrb_lua_check_keys(L, 1, source_keys);
		idx = 1;
	}
	/* created closed, then filled: an error in between leaves nothing to leak */
	s = lua_newuserdatauv(L, sizeof(*s), 0);
	s->rs = NULL;
	s->problems = NULL;
	luaL_setmetatable(L, SNAP_MT);
	s->rs = get_ruleset(L, idx, &s->problems);
	if (!s->rs)
		return 2; /* nil, msg on top of the (closed) userdata */
	return 1;
}

static int l_snap_close(lua_State *L)
{
	struct l_snap *s = check_snap(L, 1);

	nrb_fw_ruleset_free(s->rs);
	s->rs = NULL;
	free(s->problems);
	s->problems = NULL;
	return 0;
}

static int l_snap_problems(lua_State *L)
{
	struct l_snap *s = check_snap(L, 1);

	if (!s->rs)
		return luaL_error(L, "snapshot is closed");
	push_lines(L, s->problems);
	return 1;
}

static int l_snap_diff(lua_State *L)
{
	struct l_snap *a = check_snap(L, 1), *b = check_snap(L, 2);
	lua_Integer min = luaL_optinteger(L, 3, 1);
	struct nrb_fw_delta *d = NULL;
	size_t n = 0;

	if (!a->rs || !b->rs)
		return luaL_error(L, "snapshot is closed");
	luaL_argcheck(L, min >= 1, 3, "min_packets must be >= 1");
	if (nrb_fw_diff(a->rs, b->rs, (uint64_t)min, &d, &n))
		return luaL_error(L, "out of memory");
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		const struct nrb_fw_chain *c = d[i].rule ? d[i].rule->chain : d[i].chain;

		lua_createtable(L, 0, 8);
		nrb_lua_setstr(L, "ref", d[i].ref);
		if (d[i].rule) {
			nrb_lua_setstr(L, "text", d[i].rule->text);
			nrb_lua_setstr(L, "verdict", nrb_fw_vkind_name(d[i].rule->verdict));
		} else {
			nrb_lua_setstr(L, "verdict", nrb_fw_vkind_name(c->policy));
		}
		nrb_lua_setint(L, "packets", (lua_Integer)d[i].packets);
		nrb_lua_setint(L, "bytes", (lua_Integer)d[i].bytes);
		nrb_lua_setstr(L, "table", c->table->name);
		nrb_lua_setstr(L, "chain", c->name);
		nrb_lua_setstr(L, "kind", d[i].rule ? "rule" : "policy");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nrb_fw_deltas_free(d, n);
	nrb_lua_mark_array(L);
	return 1;
}

static int l_snap_tostring(lua_State *L)
{
	struct l_snap *s = check_snap(L, 1);

	if (s->rs)
		lua_pushfstring(L, "nrb.fw.snapshot (%d rules)", (int)s->rs->nrules);
	else
		lua_pushliteral(L, "nrb.fw.snapshot (closed)");
	return 1;
}

static void push_result(lua_State *L, const struct nrb_fw_result *res)
{
	lua_createtable(L, 0, 10);
	if (res->deciding_step)
		nrb_lua_setint(L, "deciding", (lua_Integer)res->deciding_step);
	nrb_lua_setstr(L, "decision", nrb_fw_decision_name(res->decision));
	nrb_lua_setstr(L, "assumed", nrb_fw_decision_name(res->assumed));
	nrb_lua_setstr(L, "reject_with", res->reject_with);
	if (res->manager) {
		nrb_lua_setstr(L, "manager", nrb_fw_manager_name(res->manager));
		nrb_lua_setstr(L, "advice", nrb_fw_manager_advice(res->manager));
	}
	lua_createtable(L, (int)res->nsteps, 0);
	for (size_t i = 0; i < res->nsteps; i++) {
		const struct nrb_fw_step *s = &res->path[i];

		lua_createtable(L, 0, 9);
		nrb_lua_setstr(L, "ref", s->ref);
		nrb_lua_setstr(L, "action", nrb_fw_vkind_name(s->action));
		nrb_lua_setstr(L, "kind", s->kind == NRB_FW_STEP_RULE ? "rule" : "policy");
		if (i + 1 == res->deciding_step) {
			lua_pushboolean(L, 1);
			lua_setfield(L, -2, "deciding");
		}
		nrb_lua_setstr(L, "table", s->chain->table->name);
		nrb_lua_setstr(L, "family", nrb_fw_tfamily_name(s->chain->table->family));
		nrb_lua_setstr(L, "chain", s->chain->name);
		if (s->rule) {
			if (s->rule->line)
				nrb_lua_setint(L, "line", s->rule->line);
			if (s->rule->handle)
				nrb_lua_setint(L, "handle", (lua_Integer)s->rule->handle);
			nrb_lua_setstr(L, "text", s->rule->text);
			nrb_lua_setstr(L, "comment", s->rule->comment);
			/* nft rules count only with a `counter` statement */
			nrb_lua_setbool(L, "counted", s->rule->has_counter);
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nrb_lua_mark_array(L); /* a list, [] when empty */
	lua_setfield(L, -2, "path");
	lua_createtable(L, (int)res->nnotes, 0);
	for (size_t i = 0; i < res->nnotes; i++) {
		lua_pushstring(L, res->notes[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nrb_lua_mark_array(L); /* a list, [] when empty */
	lua_setfield(L, -2, "notes");
}

static int l_fw_evaluate(lua_State *L)
{
	static const char *const keys[] = {"proto", "src", "dst", "sport", "dport", "icmp_type",
	                                   "direction", "iif", "oif", "state", "family", "ruleset",
	                                   "text", "format", NULL};
	static const char *const dirs[] = {"input", "output", "forward", NULL};
	static const char *const states[] = {"new", "established", "related", "invalid", NULL};
	static const int state_val[] = {NRB_FW_CT_NEW, NRB_FW_CT_ESTABLISHED, NRB_FW_CT_RELATED,
	                                NRB_FW_CT_INVALID};
	struct nrb_fw_ruleset *own = NULL;
	const struct nrb_fw_ruleset *rs;
	struct nrb_fw_result res;
	struct nrb_fw_flow f;
	const char *s, *snap_problems = NULL;
	char err[512], *problems = NULL;
	int e;

	luaL_checktype(L, 1, LUA_TTABLE);
	nrb_lua_check_keys(L, 1, keys);
	nrb_fw_flow_init(&f);
	f.family = opt_int(L, 1, "family", 4, 6, 4);
	if (f.family == 5)
		return luaL_error(L, "option 'family' must be 4 or 6");
	if (lua_getfield(L, 1, "proto") != LUA_TNIL) {
		if (lua_type(L, -1) == LUA_TNUMBER) {
			lua_Integer p = lua_tointeger(L, -1);

			if (!lua_isinteger(L, -1) || p < 0 || p > 255)
				return luaL_error(L, "option 'proto' must be a name or 0..255");
			f.proto = (int)p;
		} else {
			static const char *const pn[] = {"tcp", "udp", "icmp", "icmpv6", "sctp", NULL};
			static const int pv[] = {6, 17, 1, 58, 132};

			f.proto = pv[top_enum(L, "proto", pn)];
			if (f.proto == 58)
				f.family = 6;
		}
	}
	lua_pop(L, 1);
	if ((s = opt_string(L, 1, "src")) && nrb_fw_flow_set_addr(&f, 's', s, err, sizeof err))
		return luaL_error(L, "%s", err);
	if ((s = opt_string(L, 1, "dst")) && nrb_fw_flow_set_addr(&f, 'd', s, err, sizeof err))
		return luaL_error(L, "%s", err);
	f.sport = opt_int(L, 1, "sport", 0, 65535, -1);
	f.dport = opt_int(L, 1, "dport", 0, 65535, -1);
	f.icmp_type = opt_int(L, 1, "icmp_type", 0, 255, -1);
	if (lua_getfield(L, 1, "direction") != LUA_TNIL)
		f.direction = (enum nrb_fw_direction)(NRB_FW_DIR_INPUT + top_enum(L, "direction", dirs));
	lua_pop(L, 1);
	if (lua_getfield(L, 1, "state") != LUA_TNIL)
		f.state = state_val[top_enum(L, "state", states)];
	lua_pop(L, 1);
	if ((s = opt_string(L, 1, "iif"))) {
		if (strlen(s) == 0 || strlen(s) >= sizeof f.iif)
			return luaL_error(L, "option 'iif' must be 1..15 characters");
		strcpy(f.iif, s);
	}
	if ((s = opt_string(L, 1, "oif"))) {
		if (strlen(s) == 0 || strlen(s) >= sizeof f.oif)
			return luaL_error(L, "option 'oif' must be 1..15 characters");
		strcpy(f.oif, s);
	}
	if (lua_getfield(L, 1, "ruleset") != LUA_TNIL) {
		struct l_snap *sn = check_snap(L, -1);

		if (!sn->rs)
			return luaL_error(L, "snapshot is closed");
		rs = sn->rs;
		snap_problems = sn->problems; /* the snapshot, still on the stack, keeps it */
	} else {
		lua_pop(L, 1);
		own = get_ruleset(L, 1, &problems);
		if (!own)
			return 2;
		rs = own;
	}
	e = nrb_fw_evaluate(rs, &f, &res, err, sizeof err);
	if (e) {
		nrb_fw_ruleset_free(own);
		free(problems);
		if (e == -ENOMEM)
			return luaL_error(L, "out of memory");
		return luaL_error(L, "%s", err);
	}
	push_result(L, &res);
	push_lines(L, own ? problems : snap_problems);
	lua_setfield(L, -2, "problems");
	nrb_fw_result_free(&res);
	nrb_fw_ruleset_free(own);
	free(problems);
	return 1;
}

static const luaL_Reg fw_funcs[] = {
	{"ruleset", l_fw_ruleset},
	{"evaluate", l_fw_evaluate},
	{"snapshot", l_fw_snapshot},
	{NULL, NULL},
};

static const luaL_Reg snap_meth[] = {
	{"diff", l_snap_diff},
	{"problems", l_snap_problems},
	{"close", l_snap_close},
	{NULL, NULL},
};

static const luaL_Reg snap_metameth[] = {
	{"__gc", l_snap_close},
	{"__close", l_snap_close},
	{"__tostring", l_snap_tostring},
	{"__index", NULL},
	{"__metatable", NULL},
	{NULL, NULL},
};

int luaopen_nrb_core_fw(lua_State *L)
{
	luaL_newmetatable(L, SNAP_MT);
	luaL_setfuncs(L, snap_metameth, 0);
	luaL_newlib(L, snap_meth);
	lua_setfield(L, -2, "__index");
	lua_pushliteral(L, "locked");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
	luaL_newlib(L, fw_funcs);
	return 1;
}
