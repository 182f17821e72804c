/*
 * nrb.core.probe: the probes of core/probe as Lua functions returning evidence tables.
 *
 *   probe.tcp_connect{address = "203.0.113.10", port = 443, timeout_ms = 2000}
 *     -> {status = "connected"|"refused"|"timeout"|"unreachable"|"interrupted"|"error",
 *         address, port, rtt_ms, errno, errno_name, error, local}
 *   probe.route{address = "203.0.113.10"}
 *     -> {status = "ok"|"no_route", type, gateway, dev, prefsrc, table, metric, errno,
 *         errno_name, error, time_ms}
 *   probe.resolve{host = "server.example", family = "any"|"ipv4"|"ipv6"}
 *     -> {status = "ok"|"failed", host, addresses = {...}, families = {...}, literal,
 *         time_ms, error}
 *
 *   probe.ping{address, count, interval_ms, size_bytes, df, ttl, timeout_ms}
 *   probe.trace{address, proto, port, first_ttl, max_ttl, queries, timeout_ms,
 *               min_timeout_ms, window}  -- or protos = {"icmp","udp","tcp"}: all at
 *                                -- once, returning {icmp = ev, udp = ev, tcp = ev};
 *                                -- window: probes in flight per trace (1..640, 32)
 *   probe.mtr{address, proto|protos, port, rounds, interval_ms, slow_interval_ms, max_ttl,
 *             timeout_ms}
 *   probe.tcp_syn{address, port, ttl, timeout_ms}
 *   probe.udp{address, port, ttl, timeout_ms, size_bytes}
 *   probe.pmtu{address, proto, port, min_size, max_size, tries, timeout_ms, max_ttl}
 * Every one of these also takes pps (global packets-per-second cap, default 100), burst
 * (packets the global bucket lets out back to back, 1..1000, default 48) and
 * unprivileged (true: do not use raw sockets).  They return evidence tables shaped as
 * doc/evidence.md says, or nil, message when the environment fails (no route, no ICMP
 * socket).  Caller mistakes (unknown option, port out of range, address that is not
 * numeric, absurd counts or sizes) raise, naming the option; a destination no probe may
 * go to (unspecified, multicast, broadcast, IPv6 link-local: net/target.h) and one the
 * kernel has no usable route for are the input's or the environment's problem: nil,
 * message, nothing sent.  A probe that ran and saw nothing is evidence, not an error.
 *
 *   probe.check_target(text) -> "address"|"name", or nil, message: the check every
 *     target passes (nrb.params' host type, nrb probe)
 *   probe.parse_address(text) -> "ipv4"|"ipv6", or nil: numeric (inet_pton) only
 */
#include "lua/host_int.h"
#include "net/target.h"
#include "probe/listen.h"
#include "probe/netprobe.h"
#include "probe/probe.h"
#include "probe/route.h"
#include "util/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <lauxlib.h>

/* The first answer bytes as text for a report: printable ASCII kept, the rest escaped,
 * cut at the first line end.  Answers are untrusted bytes. */
static void push_head(lua_State *L, const uint8_t *b, size_t n)
{
	luaL_Buffer B;

	luaL_buffinit(L, &B);
	for (size_t i = 0; i < n && b[i] != '\r' && b[i] != '\n'; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\') {
			luaL_addchar(&B, (char)b[i]);
		} else {
			char esc[8];

			snprintf(esc, sizeof esc, "\\x%02x", b[i]);
			luaL_addstring(&B, esc);
		}
	}
	luaL_pushresult(&B);
}

/* Option readers over the option table at argument 1.  Every message names the option
 * ("bad option 'port' (...)"): the table is one argument, so Lua's own "bad argument #-1"
 * would point at nothing the caller wrote. */
static lua_Integer opt_int(lua_State *L, const char *k, lua_Integer def, lua_Integer lo,
                           lua_Integer hi);

/* A required integer option in lo..hi.  [-0, +0, v] */
static lua_Integer need_int(lua_State *L, const char *k, lua_Integer lo, lua_Integer hi)
{
	lua_getfield(L, 1, k);
	if (lua_isnil(L, -1))
		luaL_error(L, "bad option '%s' (an integer %I..%I is required)", k, lo, hi);
	lua_pop(L, 1);
	return opt_int(L, k, 0, lo, hi);
}

/* A required text option; what says what it should be.  The string stays anchored in
 * the option table.  [-0, +0, v] */
static const char *need_str(lua_State *L, const char *k, const char *what)
{
	const char *v;

	lua_getfield(L, 1, k);
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "bad option '%s' (%s expected, got %s)", k, what, luaL_typename(L, -1));
	v = lua_tostring(L, -1);
	lua_pop(L, 1);
	return v;
}

/* An enumeration: the value at stack index idx (option k, or an entry of it) as its index
 * in names; def's index when the value is nil and def is not NULL.  [-0, +0, v] */
static int check_enum(lua_State *L, int idx, const char *k, const char *def,
                      const char *const names[])
{
	const char *v = def;
	luaL_Buffer B;

	idx = lua_absindex(L, idx);
	if (!lua_isnil(L, idx) || !def) {
		if (lua_type(L, idx) != LUA_TSTRING)
			v = NULL;
		else
			v = lua_tostring(L, idx);
	}
	for (int i = 0; v && names[i]; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	luaL_buffinit(L, &B);
	for (int i = 0; names[i]; i++) {
		if (i)
			luaL_addstring(&B, ", ");
		luaL_addstring(&B, names[i]);
	}
	luaL_pushresult(&B);
	if (!v)
		return luaL_error(L, "bad option '%s' (one of %s expected, got %s)", k,
		                  lua_tostring(L, -1), luaL_typename(L, idx));
	return luaL_error(L, "bad option '%s': '%s' is not one of %s", k, v, lua_tostring(L, -1));
}

/* A destination no probe may go to (net/target.h) is the input's problem, not the
 * caller's: nil, message, and nothing is sent.  Returns 0 for a usable destination, else
 * the number of values pushed.  [-0, +0|2, m] */
static int dest_refused(lua_State *L, const struct nrb_pkt_addr *dst)
{
	char err[256];

	if (nrb_target_check_dest(dst, err, sizeof err) == 0)
		return 0;
	luaL_pushfail(L);
	lua_pushfstring(L, "%s; nothing sent", err);
	return 2;
}

/* tcp_connect{address, port, timeout_ms, send, read_timeout_ms, max_read_bytes} ->
 * {status, address, port, rtt_ms, timeout_ms, errno, errno_name, error, local,
 *  request = {status, sent_bytes, bytes, first_byte_ms, duration_ms, first_line, errno,
 *             errno_name, error}} */
static int l_probe_tcp_connect(lua_State *L)
{
	static const char *const keys[] = {"address", "port", "timeout_ms", "send",
	                                   "read_timeout_ms", "max_read_bytes", NULL};
	struct nrb_tcp_req req;
	struct nrb_tcp_result res;
	struct nrb_pkt_addr dst;
	const char *addr, *send;
	size_t send_len = 0;
	lua_Integer port, timeout, rtimeout, maxread;
	char err[256];
	int n;

	nrb_lua_check_keys(L, 1, keys);
	addr = need_str(L, "address", "a numeric IPv4 or IPv6 address");
	port = need_int(L, "port", 1, 65535);
	timeout = opt_int(L, "timeout_ms", 2000, 1, 600000);
	lua_getfield(L, 1, "send");
	if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "bad option 'send' (text expected, got %s)", luaL_typename(L, -1));
	send = lua_tolstring(L, -1, &send_len);
	rtimeout = opt_int(L, "read_timeout_ms", 3000, 1, 600000);
	maxread = opt_int(L, "max_read_bytes", 1 << 20, 1, 1 << 30);
	luaL_argcheck(L, !send || (send_len >= 1 && send_len <= NRB_TCP_MAX_SEND), 1,
	              "send must be 1..4096 bytes");
	memset(&req, 0, sizeof req);
	if (nrb_sockaddr_parse(addr, (int)port, &req.addr, &req.addrlen) < 0 ||
	    nrb_pkt_addr_from_sockaddr(&dst, (struct sockaddr *)&req.addr, req.addrlen) < 0)
		return luaL_error(L, "bad option 'address' ('%s' is not a numeric IPv4 or IPv6 address)", addr);
	if ((n = dest_refused(L, &dst)))
		return n;
	req.timeout_ms = (int)timeout;
	req.send = send;
	req.send_len = send ? send_len : 0;
	req.read_timeout_ms = (int)rtimeout;
	req.max_read = (size_t)maxread;
	if (nrb_tcp_connect(&req, &res, err, sizeof err) < 0)
		return luaL_error(L, "%s", err);

	lua_createtable(L, 0, 9);
	nrb_lua_setstr(L, "status", nrb_tcp_status_name(res.status));
	nrb_lua_setstr(L, "address", addr);
	nrb_lua_setint(L, "port", port);
	nrb_lua_setnum(L, "rtt_ms", (lua_Number)res.elapsed_us / 1000.0);
	nrb_lua_setint(L, "timeout_ms", timeout);
	if (res.error) {
		nrb_lua_setint(L, "errno", res.error);
		nrb_lua_setstr(L, "errno_name", nrb_errno_name(res.error));
		nrb_lua_setstr(L, "error", strerror(res.error));
	}
	if (res.local[0])
		nrb_lua_setstr(L, "local", res.local);
	if (res.xchg != NRB_XCHG_NONE) {
		lua_createtable(L, 0, 8);
		nrb_lua_setstr(L, "status", nrb_xchg_status_name(res.xchg));
		nrb_lua_setint(L, "sent_bytes", (lua_Integer)res.sent);
		nrb_lua_setint(L, "bytes", (lua_Integer)res.bytes);
		if (res.bytes)
			nrb_lua_setnum(L, "first_byte_ms", (lua_Number)res.first_byte_us / 1000.0);
		nrb_lua_setnum(L, "duration_ms", (lua_Number)res.xchg_us / 1000.0);
		if (res.head_len) {
			push_head(L, res.head, res.head_len);
			lua_setfield(L, -2, "first_line");
		}
		if (res.xchg_error) {
			nrb_lua_setint(L, "errno", res.xchg_error);
			nrb_lua_setstr(L, "errno_name", nrb_errno_name(res.xchg_error));
			nrb_lua_setstr(L, "error", strerror(res.xchg_error));
		}
		lua_setfield(L, -2, "request");
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
	host = need_str(L, "host", "a host name or address");
	lua_getfield(L, 1, "family");
	fam = check_enum(L, -1, "family", "any", fams);
	lua_pop(L, 1);
	if (nrb_resolve(host, famv[fam], &res, err, sizeof err) < 0)
		return luaL_error(L, "bad option 'host' (%s)", err);

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
	nrb_lua_mark_array(L); /* a name that does not resolve: [] not {} */
	lua_setfield(L, -3, "families");
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "addresses");
	if (!res.ok) {
		lua_pushstring(L, res.error);
		lua_setfield(L, -2, "error");
	}
	return 1;
}

static void set_nonempty(lua_State *L, const char *k, const char *v)
{
	if (v[0]) {
		lua_pushstring(L, v);
		lua_setfield(L, -2, k);
	}
}

static int l_probe_route(lua_State *L)
{
	static const char *const keys[] = {"address", NULL};
	struct nrb_route_result r;
	const char *addr;
	char err[256];
	int rc;

	nrb_lua_check_keys(L, 1, keys);
	addr = need_str(L, "address", "a numeric IPv4 or IPv6 address");
	rc = nrb_route_get(addr, &r, err, sizeof err);
	if (rc == -EINVAL)
		return luaL_error(L, "bad option 'address' (%s)", err);
	if (rc < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_createtable(L, 0, 10);
	lua_pushstring(L, r.found ? "ok" : "no_route");
	lua_setfield(L, -2, "status");
	lua_pushstring(L, addr);
	lua_setfield(L, -2, "address");
	lua_pushstring(L, r.family == AF_INET6 ? "ipv6" : "ipv4");
	lua_setfield(L, -2, "family");
	set_nonempty(L, "type", r.type);
	set_nonempty(L, "gateway", r.gateway);
	set_nonempty(L, "dev", r.dev);
	set_nonempty(L, "prefsrc", r.prefsrc);
	if (r.found) {
		lua_pushinteger(L, r.table);
		lua_setfield(L, -2, "table");
		if (r.metric) {
			lua_pushinteger(L, r.metric);
			lua_setfield(L, -2, "metric");
		}
	} else {
		lua_pushinteger(L, r.error);
		lua_setfield(L, -2, "errno");
		nrb_lua_setstr(L, "errno_name", nrb_errno_name(r.error));
		lua_pushstring(L, strerror(r.error));
		lua_setfield(L, -2, "error");
	}
	lua_pushnumber(L, (lua_Number)r.elapsed_us / 1000.0);
	lua_setfield(L, -2, "time_ms");
	return 1;
}


/* ------------------------------------------------------- asynchronous probes */

static void set_addr(lua_State *L, const char *k, const struct nrb_pkt_addr *a)
{
	char buf[64];

	if (a->af) {
		lua_pushstring(L, nrb_pkt_addr_to_string(a, buf, sizeof buf));
		lua_setfield(L, -2, k);
	}
}

/* {from, type, code, kind[, mtu][, ttl]} */
static void push_icmp_err(lua_State *L, const struct nrb_icmp_err *e, int with_ttl)
{
	lua_createtable(L, 0, 6);
	set_addr(L, "from", &e->from);
	nrb_lua_setint(L, "type", e->type);
	nrb_lua_setint(L, "code", e->code);
	nrb_lua_setstr(L, "kind", e->kind);
	if (e->mtu)
		nrb_lua_setint(L, "mtu", e->mtu);
	if (with_ttl)
		nrb_lua_setint(L, "ttl", e->ttl);
	if (e->reply_ttl >= 0)
		nrb_lua_setint(L, "reply_ttl", e->reply_ttl);
}

/* Ceiling of the `burst` option (packets the global bucket lets out back to back):
 * far above what any probe here needs (the default 48 covers the first windows of three
 * concurrent traces of a short path), and still a bounded one-off on top of `pps`. */
#define NRB_LUA_MAX_BURST 1000

/* Options every asynchronous probe takes, and the session they configure. */
struct common_opts {
	lua_Integer pps;      /* global packets-per-second cap */
	lua_Integer burst;    /* depth of the global bucket: packets sendable at once */
	int unprivileged;     /* no raw sockets */
};

static lua_Integer opt_int(lua_State *L, const char *k, lua_Integer def, lua_Integer lo,
                           lua_Integer hi)
{
	lua_Integer v;

	lua_getfield(L, 1, k);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return def;
	}
	if (!lua_isinteger(L, -1))
		luaL_error(L, "bad option '%s' (an integer expected)", k);
	v = lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (v < lo || v > hi)
		luaL_error(L, "bad option '%s' (must be %I..%I, got %I)", k, lo, hi, v);
	return v;
}

static int opt_bool(lua_State *L, const char *k)
{
	int v;

	lua_getfield(L, 1, k);
	if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
		luaL_error(L, "bad option '%s' (a boolean expected)", k);
	v = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return v;
}

static void opt_addr(lua_State *L, struct nrb_pkt_addr *a, const char **text)
{
	const char *t;

	t = need_str(L, "address", "a numeric IPv4 or IPv6 address");
	if (nrb_pkt_addr_from_string(a, t) < 0)
		luaL_error(L, "bad option 'address' ('%s' is not a numeric IPv4 or IPv6 address)", t);
	if (text)
		*text = t;
}

/* Protocol names in enum nrb_proto order (from 1). */
static const char *const PROTO_NAMES[] = {"icmp", "udp", "tcp", NULL};

static enum nrb_proto opt_proto(lua_State *L, const char *def)
{
	int i;

	lua_getfield(L, 1, "proto");
	i = check_enum(L, -1, "proto", def, PROTO_NAMES);
	lua_pop(L, 1);
	return (enum nrb_proto)(i + 1);
}

static void common(lua_State *L, struct common_opts *c)
{
	c->pps = opt_int(L, "pps", NRB_LOOP_DEFAULT_PPS, 1, 10000);
	c->burst = opt_int(L, "burst", NRB_LOOP_DEFAULT_BURST, 1, NRB_LUA_MAX_BURST);
	c->unprivileged = opt_bool(L, "unprivileged");
}

static struct nrb_sess *new_sess(lua_State *L, const struct common_opts *c)
{
	struct nrb_sess_opts o;
	struct nrb_sess *s;
	char err[256];

	memset(&o, 0, sizeof o);
	o.pps = (uint32_t)c->pps;
	o.burst = (uint32_t)c->burst;
	o.unprivileged = c->unprivileged;
	if (nrb_sess_new(&o, &s, err, sizeof err) < 0)
		luaL_error(L, "%s", err);
	return s;
}

/* Does a TCP probe's *_add failure call for the connect() fallback?  Any failure to get
 * the raw sockets does (the session says -EPERM, whatever refused them: no CAP_NET_RAW, a
 * security module, ...), not bad input or a missing route, which connect() cannot help. */
static int tcp_fallback(const struct nrb_sess *s, const struct nrb_pkt_addr *dst,
                        enum nrb_proto proto, int rc)
{
	if (proto != NRB_PROTO_TCP || rc >= 0 || rc == -EINVAL || rc == -ENETUNREACH)
		return 0;
	return rc == -EPERM || !nrb_sess_is_raw(s, dst->af, NRB_PROTO_TCP);
}

/* The kernel's route to the destination, asked before any task is added (connect() on a
 * UDP socket, nrb_sess_source: nothing is sent).  Its failure is the environment's or the
 * input's, never the caller's — no route for the family (ENETUNREACH), a destination the
 * kernel cannot use as given (EINVAL) — so it is nil, message, never a raise.  Returns 0
 * when there is a route, else the number of values pushed (the session is freed).
 * [-0, +0|2, m] */
static int route_refused(lua_State *L, struct nrb_sess *s, const struct nrb_pkt_addr *dst)
{
	struct nrb_pkt_addr src;
	char err[256];

	if (nrb_sess_source(s, dst, &src, err, sizeof err) == 0)
		return 0;
	nrb_sess_free(s);
	luaL_pushfail(L);
	lua_pushstring(L, err);
	return 2;
}

/* Turn an *_add failure into a raise (caller mistake: the route was asked before, so an
 * -EINVAL is a request the engine refused) or nil, message (environment). */
static int add_failed(lua_State *L, struct nrb_sess *s, int rc, const char *err)
{
	nrb_sess_free(s);
	if (rc == -EINVAL)
		return luaL_error(L, "%s", err);
	luaL_pushfail(L);
	lua_pushstring(L, err);
	return 2;
}

static int l_probe_ping(lua_State *L)
{
	static const char *const keys[] = {"address", "count", "interval_ms", "size_bytes", "df",
	                                   "ttl", "timeout_ms", "pps", "burst", "unprivileged", NULL};
	struct common_opts c;
	struct nrb_ping_req q;
	struct nrb_ping_result r;
	struct nrb_sess *s;
	const char *text;
	char err[256];
	int rc;

	nrb_lua_check_keys(L, 1, keys);
	memset(&q, 0, sizeof q);
	opt_addr(L, &q.dst, &text);
	q.count = (int)opt_int(L, "count", 5, 1, NRB_PING_MAX_COUNT);
	q.interval_us = (uint64_t)opt_int(L, "interval_ms", 200, 10, 60000) * 1000;
	q.size = (int)opt_int(L, "size_bytes", 56, 8, 8952);
	q.df = opt_bool(L, "df");
	q.ttl = (int)opt_int(L, "ttl", 64, 1, 255);
	q.timeout_us = (uint64_t)opt_int(L, "timeout_ms", 1000, 1, 60000) * 1000;
	common(L, &c);
	if ((rc = dest_refused(L, &q.dst)))
		return rc;
	s = new_sess(L, &c);
	if ((rc = route_refused(L, s, &q.dst)))
		return rc;
	rc = nrb_ping_add(s, &q, &r, err, sizeof err);
	if (rc < 0)
		return add_failed(L, s, rc, err);
	rc = nrb_sess_run(s, q.count * q.interval_us + q.timeout_us + 2000000);
	lua_createtable(L, 0, 18);
	nrb_lua_setstr(L, "address", text);
	nrb_lua_setint(L, "sent", r.sent);
	nrb_lua_setint(L, "received", r.received);
	nrb_lua_setnum(L, "loss_pct", r.sent ? 100.0 * (r.sent - r.received) / r.sent : 0.0);
	if (r.received) {
		nrb_lua_setnum(L, "rtt_min_ms", r.rtt.min);
		nrb_lua_setnum(L, "rtt_avg_ms", r.rtt.mean);
		nrb_lua_setnum(L, "rtt_max_ms", r.rtt.max);
		nrb_lua_setnum(L, "rtt_stddev_ms", nrb_rtt_pstddev(&r.rtt));
		nrb_lua_setnum(L, "jitter_ms", r.rtt.jitter);
	}
	if (r.reply_ttl >= 0)
		nrb_lua_setint(L, "reply_ttl", r.reply_ttl);
	nrb_lua_setstr(L, "status", r.sent == 0 ? "error" : r.received == r.sent ? "ok" :
	                     r.received ? "loss" : "no_reply");
	lua_createtable(L, r.nreplies, 0);
	for (int i = 0; i < r.nreplies; i++) {
		lua_createtable(L, 0, 3);
		nrb_lua_setint(L, "seq", r.replies[i].seq);
		nrb_lua_setnum(L, "rtt_ms", r.replies[i].rtt_ms);
		if (r.replies[i].ttl >= 0)
			nrb_lua_setint(L, "ttl", r.replies[i].ttl);
		lua_rawseti(L, -2, i + 1);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "replies");
	lua_createtable(L, r.nerrors, 0);
	for (int i = 0; i < r.nerrors; i++) {
		push_icmp_err(L, &r.errors[i], 0);
		lua_rawseti(L, -2, i + 1);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "errors");
	nrb_lua_setint(L, "size_bytes", q.size);
	nrb_lua_setbool(L, "df", q.df);
	nrb_lua_setint(L, "count", q.count);
	nrb_lua_setnum(L, "interval_ms", (double)q.interval_us / 1000.0);
	nrb_lua_setstr(L, "degraded", r.degraded);
	if (r.send_errno)
		nrb_lua_setstr(L, "error", strerror(r.send_errno));
	if (rc == -EINTR)
		nrb_lua_setbool(L, "interrupted", 1);
	nrb_ping_result_free(&r);
	nrb_sess_free(s);
	return 1;
}

static void push_trace(lua_State *L, const struct nrb_trace_result *r)
{
	const struct nrb_trace_req *q = &r->req;

	lua_createtable(L, 0, 20);
	nrb_lua_setstr(L, "proto", nrb_proto_name(q->proto));
	if (q->proto != NRB_PROTO_ICMP)
		nrb_lua_setint(L, "port", q->port);
	set_addr(L, "address", &q->dst);
	nrb_lua_setstr(L, "family", q->dst.af == AF_INET6 ? "ipv6" : "ipv4");
	nrb_lua_setint(L, "max_ttl", q->max_ttl);
	nrb_lua_setbool(L, "reached", r->reached);
	if (r->reached) {
		nrb_lua_setint(L, "reached_ttl", r->reached_ttl);
		nrb_lua_setstr(L, "dest_answer", r->dest_answer);
		if (r->dest_reply_ttl >= 0)
			nrb_lua_setint(L, "dest_reply_ttl", r->dest_reply_ttl);
	}
	if (r->last_ttl) {
		nrb_lua_setint(L, "last_ttl", r->last_ttl);
		set_addr(L, "last_address", &r->last_address);
	}
	nrb_lua_setstr(L, "stop", r->stop);
	if (r->has_unreach) {
		push_icmp_err(L, &r->unreach, 1);
		lua_setfield(L, -2, "unreachable");
	}
	nrb_lua_setstr(L, "degraded", r->degraded);
	if (r->send_errno)
		nrb_lua_setstr(L, "error", strerror(r->send_errno));
	nrb_lua_setnum(L, "time_ms", (double)r->elapsed_us / 1000.0);
	nrb_lua_setnum(L, "timeout_ms", (double)r->timeout_used_us / 1000.0);
	lua_createtable(L, r->nhops, 0);
	for (int t = 1; t <= r->nhops; t++) {
		const struct nrb_hop *h = &r->hops[t - 1];
		int na = 0;

		lua_createtable(L, 0, 5);
		nrb_lua_setint(L, "ttl", t);
		nrb_lua_setint(L, "sent", h->sent);
		nrb_lua_setint(L, "received", h->received);
		lua_createtable(L, 0, 0);
		for (int i = 0; i < h->nreplies; i++) {
			int dup = 0;

			for (int j = 0; j < i; j++)
				dup |= nrb_pkt_addr_equal(&h->replies[j].from, &h->replies[i].from);
			if (!dup) {
				char buf[64];

				lua_pushstring(L, nrb_pkt_addr_to_string(&h->replies[i].from, buf,
				                                         sizeof buf));
				lua_rawseti(L, -2, ++na);
			}
		}
		nrb_lua_mark_array(L);
		lua_setfield(L, -2, "addresses");
		lua_createtable(L, h->nreplies, 0);
		for (int i = 0; i < h->nreplies; i++) {
			const struct nrb_hop_reply *hr = &h->replies[i];

			lua_createtable(L, 0, 7);
			set_addr(L, "address", &hr->from);
			nrb_lua_setnum(L, "rtt_ms", hr->rtt_ms);
			nrb_lua_setstr(L, "kind", hr->kind);
			if (hr->reply_ttl >= 0)
				nrb_lua_setint(L, "reply_ttl", hr->reply_ttl);
			if (strcmp(hr->kind, "syn_ack") && strcmp(hr->kind, "rst") &&
			    strcmp(hr->kind, "echo_reply") && strcmp(hr->kind, "udp_answer")) {
				nrb_lua_setint(L, "type", hr->type);
				nrb_lua_setint(L, "code", hr->code);
			}
			if (hr->mtu)
				nrb_lua_setint(L, "mtu", hr->mtu);
			lua_rawseti(L, -2, i + 1);
		}
		nrb_lua_mark_array(L);
		lua_setfield(L, -2, "replies");
		lua_rawseti(L, -2, t);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "hops");
}

/* A TCP trace without raw sockets: the destination's answer by connect(), no hops. */
static void push_tcp_fallback(lua_State *L, const struct nrb_trace_req *q, const char *why)
{
	struct nrb_tcp_req tq;
	struct nrb_tcp_result tr;
	char text[64];

	memset(&tq, 0, sizeof tq);
	nrb_pkt_addr_to_string(&q->dst, text, sizeof text);
	(void)nrb_sockaddr_parse(text, q->port, &tq.addr, &tq.addrlen);
	tq.timeout_ms = (int)(q->timeout_us / 1000);
	if (nrb_tcp_connect(&tq, &tr, NULL, 0) < 0)
		tr.status = NRB_TCP_ERROR;
	lua_createtable(L, 0, 12);
	nrb_lua_setstr(L, "proto", "tcp");
	nrb_lua_setint(L, "port", q->port);
	nrb_lua_setstr(L, "address", text);
	nrb_lua_setstr(L, "family", q->dst.af == AF_INET6 ? "ipv6" : "ipv4");
	nrb_lua_setint(L, "max_ttl", q->max_ttl);
	nrb_lua_setbool(L, "reached", tr.status == NRB_TCP_CONNECTED || tr.status == NRB_TCP_REFUSED);
	if (tr.status == NRB_TCP_CONNECTED || tr.status == NRB_TCP_REFUSED) {
		nrb_lua_setstr(L, "dest_answer", tr.status == NRB_TCP_CONNECTED ? "syn_ack" : "rst");
		nrb_lua_setstr(L, "stop", "reached");
	} else {
		nrb_lua_setstr(L, "stop", tr.status == NRB_TCP_UNREACHABLE ? "unreachable" : "silence");
	}
	nrb_lua_setstr(L, "connect", nrb_tcp_status_name(tr.status));
	nrb_lua_setstr(L, "degraded", why);
	lua_createtable(L, 0, 0);
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "hops");
}

/* The options a trace and mtr share; the `address` too unless with_addr is 0 (the caller
 * reads the targets itself). */
static void read_trace_req(lua_State *L, struct nrb_trace_req *q, int with_addr)
{
	memset(q, 0, sizeof *q);
	if (with_addr)
		opt_addr(L, &q->dst, NULL);
	q->first_ttl = (int)opt_int(L, "first_ttl", 1, 1, NRB_TRACE_MAX_TTL);
	q->max_ttl = (int)opt_int(L, "max_ttl", 30, 1, NRB_TRACE_MAX_TTL);
	q->timeout_us = (uint64_t)opt_int(L, "timeout_ms", 2000, 10, 60000) * 1000;
	q->min_timeout_us = (uint64_t)opt_int(L, "min_timeout_ms", 300, 1, 60000) * 1000;
	if (q->min_timeout_us > q->timeout_us)
		q->min_timeout_us = q->timeout_us;
	if (q->max_ttl < q->first_ttl)
		luaL_error(L, "bad option 'first_ttl' (greater than max_ttl)");
}

/* The port option of a probe of protocol p: 1..65535 when given; absent, 33434 for UDP,
 * none for ICMP, and a raise for TCP (which port would be a guess). */
static uint16_t read_port(lua_State *L, enum nrb_proto p)
{
	lua_Integer port = opt_int(L, "port", 0, 1, 65535);

	if (port == 0 && p == NRB_PROTO_TCP)
		luaL_error(L, "a TCP probe needs a port");
	if (port == 0 && p == NRB_PROTO_UDP)
		port = 33434;
	return (uint16_t)port;
}

/* The `protos` option of trace and mtr: up to three distinct protocols, in the order
 * given, into out[]; returns how many, or 0 when the option is absent. */
static int read_protos(lua_State *L, enum nrb_proto out[3])
{
	int n = 0;

	lua_getfield(L, 1, "protos");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (!lua_istable(L, -1))
		luaL_error(L, "bad option 'protos' (a list of icmp, udp and/or tcp expected, got %s)",
		           luaL_typename(L, -1));
	/* more than three cannot be distinct: refused rather than cut */
	if (lua_rawgeti(L, -1, 4) != LUA_TNIL)
		luaL_error(L, "bad option 'protos' (at most three distinct protocols: icmp, udp, tcp)");
	lua_pop(L, 1);
	for (int i = 1; i <= 3; i++) {
		lua_rawgeti(L, -1, i);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			break;
		}
		out[n] = (enum nrb_proto)(check_enum(L, -1, "protos", NULL, PROTO_NAMES) + 1);
		for (int j = 0; j < n; j++)
			if (out[j] == out[n])
				luaL_error(L, "protos lists '%s' twice", PROTO_NAMES[out[n] - 1]);
		lua_pop(L, 1);
		n++;
	}
	if (!n)
		luaL_error(L, "protos must list icmp, udp and/or tcp");
	lua_pop(L, 1);
	return n;
}

/* Most targets one trace call takes (`addresses`), each with up to three protocols. */
#define NRB_LUA_MAX_TARGETS 8

/* The `addresses` option of trace: 1..NRB_LUA_MAX_TARGETS distinct numeric addresses, in
 * the order given, into out[]; 0 when absent (then `address` names the one target).  Both
 * at once, an empty or too long list, a non-string, a malformed or repeated address: a
 * raise, the caller's mistake.  [-0, +0, v] */
static int read_addresses(lua_State *L, struct nrb_pkt_addr out[NRB_LUA_MAX_TARGETS])
{
	int n = 0;

	lua_getfield(L, 1, "addresses");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	lua_getfield(L, 1, "address");
	if (!lua_isnil(L, -1))
		luaL_error(L, "bad options: give 'address' or 'addresses', not both");
	lua_pop(L, 1);
	if (!lua_istable(L, -1))
		luaL_error(L, "bad option 'addresses' (a list of numeric addresses expected)");
	for (lua_Integer i = 1;; i++) {
		const char *t;

		if (lua_rawgeti(L, -1, i) == LUA_TNIL) {
			lua_pop(L, 1);
			break;
		}
		if (n == NRB_LUA_MAX_TARGETS)
			luaL_error(L, "bad option 'addresses' (at most %d targets)", NRB_LUA_MAX_TARGETS);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "bad option 'addresses' (entry %d is not a string)", (int)i);
		t = lua_tostring(L, -1);
		if (nrb_pkt_addr_from_string(&out[n], t) < 0)
			luaL_error(L, "bad option 'addresses' ('%s' is not a numeric IPv4 or IPv6 address)", t);
		for (int j = 0; j < n; j++)
			if (nrb_pkt_addr_equal(&out[j], &out[n]))
				luaL_error(L, "bad option 'addresses' ('%s' is given twice)", t);
		n++;
		lua_pop(L, 1);
	}
	if (n == 0)
		luaL_error(L, "bad option 'addresses' (an empty list)");
	lua_pop(L, 1);
	return n;
}

/*
 * trace{address | addresses, proto | protos, port, ...}.  One session runs every trace at
 * once: up to three protocols (`protos`) to each of up to eight targets (`addresses`),
 * under one packets-per-second cap, each trace within its own window.  The result is one
 * trace's table; with `protos`, a table of them keyed by protocol; with `addresses`, a
 * table of those keyed by each target's address as nrb writes it.
 */
static int l_probe_trace(lua_State *L)
{
	static const char *const keys[] = {"address", "addresses", "proto", "protos", "port",
	                                   "first_ttl", "max_ttl", "queries", "timeout_ms",
	                                   "min_timeout_ms", "window", "pps", "burst",
	                                   "unprivileged", NULL};
	enum { MAXQ = 3 * NRB_LUA_MAX_TARGETS };
	struct nrb_pkt_addr dsts[NRB_LUA_MAX_TARGETS];
	struct nrb_trace_result *res;
	struct nrb_trace_req base, q[MAXQ];
	enum nrb_proto protos[3];
	struct common_opts c;
	struct nrb_sess *s;
	int np, nt, n, rc, fallback[MAXQ] = {0}, multi, targets;
	char err[256], buf[64], (*why)[256];

	nrb_lua_check_keys(L, 1, keys);
	nt = read_addresses(L, dsts);
	targets = nt > 0;
	read_trace_req(L, &base, !targets);
	if (!targets) {
		dsts[0] = base.dst;
		nt = 1;
	}
	base.queries = (int)opt_int(L, "queries", 3, 1, NRB_TRACE_MAX_QUERIES);
	base.window = (int)opt_int(L, "window", NRB_TRACE_DEFAULT_WINDOW, 1, NRB_TRACE_MAX_WINDOW);
	np = read_protos(L, protos);
	multi = np > 0;
	if (!multi) {
		protos[0] = opt_proto(L, "icmp");
		np = 1;
	}
	for (int i = 0; i < np; i++) {
		lua_getfield(L, 1, "port");
		if (lua_isnil(L, -1) && protos[i] == NRB_PROTO_TCP) {
			lua_pop(L, 1);
			luaL_error(L, "a TCP trace needs a port");
		}
		lua_pop(L, 1);
		base.proto = protos[i];
		base.port = read_port(L, protos[i]);
		for (int t = 0; t < nt; t++) {
			q[t * np + i] = base;
			q[t * np + i].dst = dsts[t];
		}
	}
	n = nt * np;
	common(L, &c);
	for (int t = 0; t < nt; t++)
		if ((rc = dest_refused(L, &dsts[t])))
			return rc;
	s = new_sess(L, &c);
	for (int t = 0; t < nt; t++)
		if ((rc = route_refused(L, s, &dsts[t])))
			return rc;
	/* the results, and the fallbacks' reasons, live in userdata: freed by the GC even if
	 * a push below raises */
	res = lua_newuserdatauv(L, sizeof *res * (size_t)n, 0);
	memset(res, 0, sizeof *res * (size_t)n);
	why = lua_newuserdatauv(L, sizeof *why * (size_t)n, 0);
	for (int i = 0; i < n; i++) {
		rc = nrb_trace_add(s, &q[i], &res[i], err, sizeof err);
		if (tcp_fallback(s, &q[i].dst, q[i].proto, rc)) {
			fallback[i] = 1;
			snprintf(why[i], sizeof why[i], "%s", err);
			continue;
		}
		if (rc < 0)
			return add_failed(L, s, rc, err);
	}
	/* the session's time cap: the traces' own bound, plus the time the packets-per-second
	 * cap needs to send every probe of every trace (many targets of a silent path) */
	rc = nrb_sess_run(s, 3 * base.timeout_us + 20000000 +
	                     (uint64_t)n * (uint64_t)(base.max_ttl - base.first_ttl + 1) *
	                         (uint64_t)base.queries * 1000000 / (uint64_t)c.pps);
	if (targets)
		lua_createtable(L, 0, nt);
	for (int t = 0; t < nt; t++) {
		if (multi)
			lua_createtable(L, 0, np);
		for (int i = t * np; i < (t + 1) * np; i++) {
			if (fallback[i])
				push_tcp_fallback(L, &q[i], why[i]);
			else
				push_trace(L, &res[i]);
			if (rc == -EINTR)
				nrb_lua_setbool(L, "interrupted", 1);
			if (multi)
				lua_setfield(L, -2, PROTO_NAMES[q[i].proto - 1]);
		}
		if (targets)
			lua_setfield(L, -2, nrb_pkt_addr_to_string(&dsts[t], buf, sizeof buf));
	}
	nrb_sess_free(s);
	return 1;
}

/* One mtr hop as a table (the final result and the progress snapshots).  [-0, +1, m] */
static void push_mtr_hop(lua_State *L, int t, const struct nrb_mtr_hop *h)
{
	int best = -1;
	char buf[64];

	lua_createtable(L, 0, 12);
	nrb_lua_setint(L, "ttl", t);
	for (int i = 0; i < h->naddrs; i++)
		if (best < 0 || h->addr_count[i] > h->addr_count[best])
			best = i;
	if (best >= 0)
		set_addr(L, "address", &h->addrs[best]);
	lua_createtable(L, h->naddrs, 0);
	for (int i = 0; i < h->naddrs; i++) {
		lua_pushstring(L, nrb_pkt_addr_to_string(&h->addrs[i], buf, sizeof buf));
		lua_rawseti(L, -2, i + 1);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "addresses");
	nrb_lua_setint(L, "sent", h->sent);
	nrb_lua_setint(L, "received", h->received);
	nrb_lua_setnum(L, "loss_pct", h->sent ? 100.0 * (h->sent - h->received) / h->sent : 0.0);
	if (h->received) {
		nrb_lua_setnum(L, "last_ms", h->rtt.last);
		nrb_lua_setnum(L, "avg_ms", h->rtt.mean);
		nrb_lua_setnum(L, "best_ms", h->rtt.min);
		nrb_lua_setnum(L, "worst_ms", h->rtt.max);
		nrb_lua_setnum(L, "stdev_ms", nrb_rtt_stddev(&h->rtt));
	}
	if (h->dest)
		nrb_lua_setbool(L, "destination", 1);
}

/* mtr's progress option: the Lua function gets a snapshot of the hop table now and then. */
struct mtr_progress {
	lua_State *L;
	int fn;                             /* stack index of the function */
	const struct nrb_mtr_result *r;     /* filling in */
	int rounds;                         /* asked for */
	int failed;                         /* the function raised: no more calls */
};

/* Under pcall (1: the function, 2: the struct mtr_progress): build the snapshot
 * {round, rounds, hops} and call the function. */
static int mtr_progress_call(lua_State *L)
{
	const struct mtr_progress *p = lua_touserdata(L, 2);
	const struct nrb_mtr_result *r = p->r;
	int last = r->dest_ttl;

	if (!last)
		for (int t = 1; t <= NRB_TRACE_MAX_TTL; t++)
			if (r->hops[t - 1].received)
				last = t;
	lua_pushvalue(L, 1); /* the function */
	lua_createtable(L, 0, 3);
	nrb_lua_setint(L, "round", r->rounds_done);
	nrb_lua_setint(L, "rounds", p->rounds);
	lua_createtable(L, last, 0);
	for (int t = 1; t <= last; t++) {
		push_mtr_hop(L, t, &r->hops[t - 1]);
		lua_rawseti(L, -2, t);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "hops");
	lua_call(L, 1, 0);
	return 0;
}

static void mtr_progress(void *arg)
{
	struct mtr_progress *p = arg;

	if (p->failed)
		return;
	/* runs in l_probe_mtr's frame, where p->fn is the function's index */
	lua_pushcfunction(p->L, mtr_progress_call);
	lua_pushvalue(p->L, p->fn);
	lua_pushlightuserdata(p->L, p);
	if (lua_pcall(p->L, 2, 0, 0) != LUA_OK) {
		p->failed = 1; /* a display that fails must not stop the measurement */
		lua_pop(p->L, 1);
	}
}

/* One mtr result as its table.  [-0, +1, m] */
static void push_mtr(lua_State *L, const struct nrb_mtr_req *q, const struct nrb_mtr_result *r,
                     int interrupted)
{
	lua_createtable(L, 0, 12);
	nrb_lua_setstr(L, "proto", nrb_proto_name(q->trace.proto));
	if (q->trace.proto != NRB_PROTO_ICMP)
		nrb_lua_setint(L, "port", q->trace.port);
	set_addr(L, "address", &q->trace.dst);
	nrb_lua_setint(L, "rounds", r->rounds_done);
	nrb_lua_setnum(L, "interval_ms", (double)q->interval_us / 1000.0);
	if (q->slow_interval_us) {
		nrb_lua_setnum(L, "slow_interval_ms", (double)q->slow_interval_us / 1000.0);
		if (r->pace.slow)
			nrb_lua_setint(L, "slow_hop", r->pace.slow_hop);
		if (r->slowed_round)
			nrb_lua_setint(L, "slowed_round", r->slowed_round);
		if (r->stopped_round)
			nrb_lua_setint(L, "stopped_round", r->stopped_round);
	}
	nrb_lua_setstr(L, "degraded", r->degraded);
	if (r->dest_ttl)
		nrb_lua_setint(L, "dest_ttl", r->dest_ttl);
	if (interrupted)
		nrb_lua_setbool(L, "interrupted", 1);
	lua_createtable(L, r->nhops, 0);
	for (int t = 1; t <= r->nhops; t++) {
		push_mtr_hop(L, t, &r->hops[t - 1]);
		lua_rawseti(L, -2, t);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "hops");
}

/* probe.mtr{...}: one protocol (`proto`), or several at once (`protos`, a table keyed by
 * protocol comes back).  With slow_interval_ms the rounds slow down at the first sign of
 * a hop limiting its ICMP (struct nrb_mtr_pace); the protocols after the first share the
 * pace and stop there rather than double the rate at that hop. */
static int l_probe_mtr(lua_State *L)
{
	static const char *const keys[] = {"address", "proto", "protos", "port", "first_ttl",
	                                   "max_ttl", "rounds", "interval_ms", "slow_interval_ms",
	                                   "timeout_ms", "min_timeout_ms", "pps", "burst",
	                                   "unprivileged", "progress", NULL};
	struct nrb_mtr_result *r;
	struct nrb_mtr_req base, q[3];
	enum nrb_proto protos[3];
	struct nrb_mtr_pace pace;
	struct mtr_progress prog;
	struct common_opts c;
	struct nrb_sess *s;
	char err[256];
	int rc, n = 0, multi = 0;
	lua_Integer slow;

	nrb_lua_check_keys(L, 1, keys);
	memset(&base, 0, sizeof base);
	memset(&pace, 0, sizeof pace);
	memset(&prog, 0, sizeof prog);
	read_trace_req(L, &base.trace, 1);
	base.rounds = (int)opt_int(L, "rounds", 10, 1, NRB_MTR_MAX_ROUNDS);
	base.interval_us = (uint64_t)opt_int(L, "interval_ms", 1000, 100, 60000) * 1000;
	slow = opt_int(L, "slow_interval_ms", 0, 0, 60000);
	if (slow) {
		if ((uint64_t)slow * 1000 <= base.interval_us)
			luaL_error(L, "bad option 'slow_interval_ms' (must be longer than interval_ms)");
		base.slow_interval_us = (uint64_t)slow * 1000;
		base.pace = &pace;
	}
	n = read_protos(L, protos);
	multi = n > 0;
	for (int i = 0; i < n; i++) {
		q[i] = base;
		q[i].trace.proto = protos[i];
		q[i].stop_when_slowed = i > 0;
	}
	if (!multi) {
		q[0] = base;
		q[0].trace.proto = opt_proto(L, "icmp");
		n = 1;
	}
	for (int i = 0; i < n; i++)
		q[i].trace.port = read_port(L, q[i].trace.proto);
	lua_getfield(L, 1, "progress");
	if (!lua_isnil(L, -1)) {
		luaL_argcheck(L, lua_isfunction(L, -1), 1, "progress must be a function");
		prog.fn = lua_gettop(L); /* stays on the stack for the run */
	} else {
		lua_pop(L, 1);
	}
	common(L, &c);
	if ((rc = dest_refused(L, &base.trace.dst)))
		return rc;
	s = new_sess(L, &c);
	if ((rc = route_refused(L, s, &base.trace.dst)))
		return rc;
	r = lua_newuserdatauv(L, sizeof *r * 3, 0);
	for (int i = 0; i < n; i++) {
		rc = nrb_mtr_add(s, &q[i], &r[i], err, sizeof err);
		if (rc < 0)
			return add_failed(L, s, rc, err);
	}
	if (prog.fn) { /* the first protocol's table */
		prog.L = L;
		prog.r = &r[0];
		prog.rounds = base.rounds;
		nrb_sess_on_progress(s, 250000, mtr_progress, &prog);
	}
	rc = nrb_sess_run(s, (uint64_t)base.rounds *
	                     (base.slow_interval_us ? base.slow_interval_us : base.interval_us) +
	                     2 * base.trace.timeout_us + 10000000);
	if (multi)
		lua_createtable(L, 0, n);
	for (int i = 0; i < n; i++) {
		push_mtr(L, &q[i], &r[i], rc == -EINTR);
		if (multi)
			lua_setfield(L, -2, PROTO_NAMES[q[i].trace.proto - 1]);
	}
	nrb_sess_free(s);
	return 1;
}

static int port_probe(lua_State *L, enum nrb_proto proto)
{
	static const char *const keys[] = {"address", "port", "ttl", "timeout_ms", "size_bytes",
	                                   "pps", "burst", "unprivileged", NULL};
	struct nrb_port_result r;
	struct nrb_port_req q;
	struct common_opts c;
	struct nrb_sess *s;
	const char *text;
	char err[256];
	int rc;

	nrb_lua_check_keys(L, 1, keys);
	memset(&q, 0, sizeof q);
	opt_addr(L, &q.dst, &text);
	q.proto = proto;
	q.port = (uint16_t)opt_int(L, "port", 0, 1, 65535);
	q.ttl = (int)opt_int(L, "ttl", 64, 1, 255);
	q.timeout_us = (uint64_t)opt_int(L, "timeout_ms", 2000, 1, 60000) * 1000;
	q.size = (int)opt_int(L, "size_bytes", 8, 4, 1400);
	if (proto == NRB_PROTO_TCP) {
		lua_getfield(L, 1, "size_bytes");
		if (!lua_isnil(L, -1))
			luaL_error(L, "size_bytes applies to udp probes only");
		lua_pop(L, 1);
		q.size = 0;
	}
	common(L, &c);
	if ((rc = dest_refused(L, &q.dst)))
		return rc;
	s = new_sess(L, &c);
	if ((rc = route_refused(L, s, &q.dst)))
		return rc;
	rc = nrb_port_add(s, &q, &r, err, sizeof err);
	if (tcp_fallback(s, &q.dst, proto, rc)) {
		/* no raw sockets: classify a connect() instead, and say so */
		struct nrb_tcp_req tq;
		struct nrb_tcp_result tr;

		nrb_sess_free(s);
		memset(&tq, 0, sizeof tq);
		(void)nrb_sockaddr_parse(text, q.port, &tq.addr, &tq.addrlen);
		tq.timeout_ms = (int)(q.timeout_us / 1000);
		if (nrb_tcp_connect(&tq, &tr, err, sizeof err) < 0)
			tr.status = NRB_TCP_ERROR;
		lua_createtable(L, 0, 8);
		nrb_lua_setstr(L, "status", tr.status == NRB_TCP_CONNECTED ? "syn_ack" :
		                     tr.status == NRB_TCP_REFUSED ? "rst" :
		                     tr.status == NRB_TCP_UNREACHABLE ? "icmp" :
		                     tr.status == NRB_TCP_TIMEOUT ? "timeout" : "error");
		nrb_lua_setstr(L, "address", text);
		nrb_lua_setint(L, "port", q.port);
		if (tr.status == NRB_TCP_CONNECTED || tr.status == NRB_TCP_REFUSED)
			nrb_lua_setnum(L, "rtt_ms", (double)tr.elapsed_us / 1000.0);
		nrb_lua_setstr(L, "connect", nrb_tcp_status_name(tr.status));
		nrb_lua_setstr(L, "degraded", err);
		return 1;
	}
	if (rc < 0)
		return add_failed(L, s, rc, err);
	rc = nrb_sess_run(s, q.timeout_us + 2000000);
	lua_createtable(L, 0, 12);
	nrb_lua_setstr(L, "status", r.status ? r.status : (rc == -EINTR ? "interrupted" : "error"));
	nrb_lua_setstr(L, "address", text);
	nrb_lua_setint(L, "port", q.port);
	if (r.answered) {
		nrb_lua_setnum(L, "rtt_ms", r.rtt_ms);
		set_addr(L, "from", &r.from);
		if (r.reply_ttl >= 0)
			nrb_lua_setint(L, "reply_ttl", r.reply_ttl);
		if (r.reply_ipid >= 0)
			nrb_lua_setint(L, "reply_ipid", r.reply_ipid);
	}
	if (r.has_icmp) {
		push_icmp_err(L, &r.icmp, 0);
		lua_setfield(L, -2, "icmp");
	}
	if (proto == NRB_PROTO_UDP && r.bytes)
		nrb_lua_setint(L, "bytes", (lua_Integer)r.bytes);
	nrb_lua_setstr(L, "degraded", r.degraded);
	if (r.send_errno)
		nrb_lua_setstr(L, "error", strerror(r.send_errno));
	/* the socket is open (privilege is not the question): netfilter's output path on
	 * this host dropped the probe, and the kernel said so */
	if (r.send_errno == EPERM)
		nrb_lua_setbool(L, "local_refusal", 1);
	nrb_sess_free(s);
	return 1;
}

static int l_probe_tcp_syn(lua_State *L)
{
	return port_probe(L, NRB_PROTO_TCP);
}

static int l_probe_udp(lua_State *L)
{
	return port_probe(L, NRB_PROTO_UDP);
}

static int l_probe_pmtu(lua_State *L)
{
	static const char *const keys[] = {"address", "proto", "port", "min_size", "max_size",
	                                   "tries", "timeout_ms", "max_ttl", "pps", "burst",
	                                   "unprivileged", NULL};
	struct nrb_pmtu_result *r;
	struct nrb_pmtu_req q;
	struct common_opts c;
	struct nrb_sess *s;
	char err[256];
	int rc;

	nrb_lua_check_keys(L, 1, keys);
	memset(&q, 0, sizeof q);
	opt_addr(L, &q.dst, NULL);
	q.proto = opt_proto(L, "icmp");
	if (q.proto == NRB_PROTO_TCP)
		luaL_error(L, "bad option 'proto' (pmtu probes use icmp or udp)");
	q.port = read_port(L, q.proto);
	q.min_size = (int)opt_int(L, "min_size", 0, 68, NRB_SESS_MAX_SIZE);
	q.max_size = (int)opt_int(L, "max_size", 0, 68, NRB_SESS_MAX_SIZE);
	q.tries = (int)opt_int(L, "tries", 2, 1, 5);
	q.timeout_us = (uint64_t)opt_int(L, "timeout_ms", 1000, 10, 30000) * 1000;
	q.max_ttl = (int)opt_int(L, "max_ttl", 30, 1, NRB_PMTU_MAX_TTL);
	common(L, &c);
	if ((rc = dest_refused(L, &q.dst)))
		return rc;
	s = new_sess(L, &c);
	if ((rc = route_refused(L, s, &q.dst)))
		return rc;
	r = lua_newuserdatauv(L, sizeof *r, 0);
	rc = nrb_pmtu_add(s, &q, r, err, sizeof err);
	if (rc < 0)
		return add_failed(L, s, rc, err);
	rc = nrb_sess_run(s, nrb_pmtu_budget_us(&q));
	lua_createtable(L, 0, 16);
	nrb_lua_setstr(L, "status", r->status ? r->status : "error");
	set_addr(L, "address", &q.dst);
	nrb_lua_setstr(L, "proto", nrb_proto_name(q.proto));
	nrb_lua_setint(L, "local_mtu", r->local_mtu);
	if (r->path_mtu)
		nrb_lua_setint(L, "path_mtu", r->path_mtu);
	if (r->smallest_lost)
		nrb_lua_setint(L, "smallest_lost", r->smallest_lost);
	nrb_lua_setint(L, "rounds", r->rounds);
	nrb_lua_setint(L, "random_losses", r->random_losses);
	if (r->located) {
		if (r->hop) {
			nrb_lua_setint(L, "hop", r->hop);
			set_addr(L, "hop_address", &r->hop_addr);
		}
		if (r->next_hop) {
			nrb_lua_setint(L, "next_hop", r->next_hop);
			set_addr(L, "next_hop_address", &r->next_hop_addr);
		}
	}
	if (r->send_errors) {
		nrb_lua_setint(L, "send_errors", r->send_errors);
		nrb_lua_setstr(L, "send_error", strerror(-r->send_error));
	}
	if (r->has_reported) {
		lua_createtable(L, 0, 3);
		set_addr(L, "from", &r->reported_from);
		nrb_lua_setint(L, "mtu", r->reported_mtu);
		if (r->reported_ttl >= 0)
			nrb_lua_setint(L, "ttl", r->reported_ttl);
		lua_setfield(L, -2, "reported");
	}
	lua_createtable(L, r->nprobes, 0);
	for (int i = 0; i < r->nprobes; i++) {
		lua_createtable(L, 0, 3);
		nrb_lua_setint(L, "size_bytes", r->probes[i].size);
		nrb_lua_setstr(L, "result", r->probes[i].result);
		nrb_lua_setint(L, "round", r->probes[i].round);
		lua_rawseti(L, -2, i + 1);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "probes");
	nrb_lua_setstr(L, "degraded", r->degraded);
	if (rc == -EINTR)
		nrb_lua_setbool(L, "interrupted", 1);
	nrb_sess_free(s);
	return 1;
}

/* listening{port = 443, proto = "tcp"|"udp"} -> {status = "listening"|"none", proto, port,
 * sockets = {{address, family, backlog, queued, uid}, ...}, truncated} | nil, msg */
static int l_probe_listening(lua_State *L)
{
	static const char *const keys[] = {"port", "proto", NULL};
	static const char *const protos[] = {"tcp", "udp", NULL};
	struct nrb_listen_result r;
	lua_Integer port;
	char err[256];
	int proto;

	nrb_lua_check_keys(L, 1, keys);
	port = need_int(L, "port", 1, 65535);
	lua_getfield(L, 1, "proto");
	proto = check_enum(L, -1, "proto", "tcp", protos);
	lua_pop(L, 1);
	if (nrb_listen_lookup(proto == 0 ? IPPROTO_TCP : IPPROTO_UDP, (int)port, &r, err, sizeof err) < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_createtable(L, 0, 5);
	nrb_lua_setstr(L, "status", r.count > 0 ? "listening" : "none");
	nrb_lua_setstr(L, "proto", protos[proto]);
	nrb_lua_setint(L, "port", port);
	nrb_lua_setbool(L, "truncated", r.truncated);
	lua_createtable(L, r.count, 0);
	for (int i = 0; i < r.count; i++) {
		lua_createtable(L, 0, 5);
		nrb_lua_setstr(L, "address", r.socks[i].addr);
		nrb_lua_setstr(L, "family", r.socks[i].family == AF_INET6 ? "ipv6" : "ipv4");
		nrb_lua_setint(L, "backlog", r.socks[i].backlog);
		nrb_lua_setint(L, "queued", r.socks[i].queued);
		nrb_lua_setint(L, "uid", r.socks[i].uid);
		lua_rawseti(L, -2, i + 1);
	}
	nrb_lua_mark_array(L); /* nothing listening: [] */
	lua_setfield(L, -2, "sockets");
	return 1;
}

/* check_target(text) -> "address"|"name", or nil, message: nrb_target_check, the one
 * check of a probe's target (nrb.params' host type and nrb probe use it). */
static int l_probe_check_target(lua_State *L)
{
	const char *text = luaL_checkstring(L, 1);
	char err[256];
	int kind = nrb_target_check(text, NULL, err, sizeof err);

	if (kind < 0) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushstring(L, kind == NRB_TARGET_ADDRESS ? "address" : "name");
	return 1;
}

/* parse_address(text) -> "ipv4"|"ipv6", or nil: a numeric address as inet_pton reads it
 * (nrb.params' address type; no destination check). */
static int l_probe_parse_address(lua_State *L)
{
	struct nrb_pkt_addr a;

	if (lua_type(L, 1) != LUA_TSTRING || nrb_pkt_addr_from_string(&a, lua_tostring(L, 1)) < 0) {
		luaL_pushfail(L);
		return 1;
	}
	lua_pushstring(L, a.af == AF_INET6 ? "ipv6" : "ipv4");
	return 1;
}

int luaopen_nrb_core_probe(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{"check_target", l_probe_check_target},
		{"parse_address", l_probe_parse_address},
		{"tcp_connect", l_probe_tcp_connect},
		{"resolve", l_probe_resolve},
		{"route", l_probe_route},
		{"ping", l_probe_ping},
		{"trace", l_probe_trace},
		{"mtr", l_probe_mtr},
		{"tcp_syn", l_probe_tcp_syn},
		{"udp", l_probe_udp},
		{"pmtu", l_probe_pmtu},
		{"listening", l_probe_listening},
		{NULL, NULL},
	};

	luaL_newlib(L, funcs);
	return 1;
}
