/*
 * nrb.core.capture: the capture analysis of core/capture as a Lua function returning a
 * plain evidence table.
 *
 *   capture.analyze_file(path, {target = "198.51.100.2", port = 443, max_flows = 65536})
 *     -> result table (shape below), or nil, message when the file cannot be analysed
 *        (missing, unreadable, not a capture, unknown link type).
 *
 * Caller mistakes raise: a path that is not a string, an unknown option, a target that is
 * not a numeric IPv4/IPv6 address, a port outside 1..65535, max_flows outside
 * 1..16777216.  A capture that is truncated still gives a result (truncated = true and a
 * "capture_truncated" finding).
 *
 * Result (indexes are 1-based; absent values are nil, never 0 or -1):
 *   { file, link = {type, name}, truncated, read_error,
 *     stats = {packets, bytes, ip_packets, non_ip, malformed, snaplen_cut, filtered,
 *              fragments, vlan_tagged, first_vlan, flows_dropped, icmp_dropped,
 *              findings_dropped, max_flows, first_time, last_time, duration_ms},
 *     connections = {{proto = "tcp", af = "ipv4"|"ipv6", state = "S0"|"SF"|...,
 *                     state_desc, history, start_time, duration_ms, handshake_rtt_ms,
 *                     ack_rtt_ms, reset_by = "orig"|"resp", reset = PROVENANCE,
 *                     icmp = {i, ...}, frag_needed, large_threshold,
 *                     large_loss = "orig"|"resp", orig = SIDE, resp = SIDE}, ...},
 *     udp = {{af, client, client_port, server, server_port, requests, responses,
 *             request_bytes, response_bytes, start_time, duration_ms, rtt_ms, server_ttl,
 *             status = "answered"|"icmp_error"|"unanswered", icmp = {i, ...}}, ...},
 *     icmp = {{time, af, type, code, name, kind, sender, to, ttl, hop, ip_id, mtu,
 *              quote = {proto, src, dst, sport, dport}, connection, udp, from_target,
 *              provenance = PROVENANCE (only when from_target)}, ...},
 *     findings = {{severity = "problem"|"warning"|"info", kind, text, hop, connection,
 *                  udp, icmp, count, address, port}, ...} }
 *   (a finding stands for `count` connections/flows/errors of one kind about one
 *   endpoint `address`:`port`; connection/udp/icmp index the first of them)
 *   SIDE = {address, port, packets, payload_bytes, ttl_first, ttl_min, ttl_max, hop,
 *           ip_id_first, ip_id_last, mss, wscale, sack_ok, timestamps, syn_window, syns,
 *           retransmissions, large_segments, large_retransmissions, max_payload, fin, rst}
 *   PROVENANCE = {origin = "genuine"|"injected"|"unknown", confidence = "low"|"medium"|
 *                 "high", ttl, hop, genuine_ttl, genuine_hop, ip_id, delay_ms,
 *                 genuine_rtt_ms, reasons = {"...", ...}}
 * Times are seconds since the Unix epoch (float), durations milliseconds.
 *
 * Live captures (a session thread of core/capture on a handle core/priv opens):
 *
 *   capture.start{address = "203.0.113.10", port = 443, interface = "eth0",
 *                 filter = "tcp port 443", file = "out.pcap", max_packets = 100000,
 *                 max_bytes = 67108864, duration_ms = 60000, max_flows = 65536}
 *     -> handle (full userdata "nrb.capture"), or nil, message, errno when the
 *        environment refuses: no such interface (ENODEV), no permission (EPERM), the
 *        .pcap file cannot be created (EIO).
 *   All keys are optional.  address/port scope the analysis (as analyze_file's
 *   target/port) and the default filter (nrb_cap_filter_for: the address's traffic on
 *   the port plus all ICMP); interface defaults to the one the kernel routes address
 *   through, else "any"; file (made absolute) is written as FILE.tmp and renamed on
 *   stop.  Raises for caller mistakes: unknown key, wrong type, non-numeric address,
 *   out-of-range number, a filter libpcap cannot compile.
 *   handle:stop([{min_ms = N}])
 *                  -> the analysis table above plus {file, interface, filter, address,
 *                     port, packets, stopped_by = "stop"|"max_packets"|"max_bytes"|
 *                     "max_ms"|"error", ran_ms (how long the capture ran)}; nil, message
 *                     when the .pcap cannot be completed.  Joins the thread and closes
 *                     the handle.  With min_ms (0..3600000) it first waits, sleeping in
 *                     C, until the capture has run that long since start (the other
 *                     steps' time counts), unless a bound ends it first, Ctrl-C comes, or
 *                     the running step's time limit is 2 s away; the result then also
 *                     has min_ms, waited_ms and wait = "elapsed"|"done"|"interrupted"|
 *                     "limit".
 *   handle:done()  -> true once the capture stopped reading on its own (a bound).
 *   handle:info()  -> {interface, filter, file, address, port, elapsed_ms} of a running
 *                     capture.
 *   __gc / __close -> the same idempotent close: the thread is joined, the pcap handle
 *                     closed, and the unfinished FILE.tmp removed (a capture nobody
 *                     stopped leaves no file).  stop/done on a closed handle raise.
 */
#include "lua/host_int.h"
#include "capture/capture.h"

#include "priv/priv.h"
#include "util/util.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <lauxlib.h>


/* microseconds -> milliseconds, nil when negative (unknown) */
static void set_ms(lua_State *L, const char *k, int64_t us)
{
	if (us >= 0)
		nrb_lua_setnum(L, k, (lua_Number)us / 1000.0);
}

/* a 0-based index -> 1-based, nil when negative */
static void set_index(lua_State *L, const char *k, long i)
{
	if (i >= 0)
		nrb_lua_setint(L, k, (lua_Integer)i + 1);
}

static void set_addr(lua_State *L, const char *k, const struct nrb_pkt_addr *a)
{
	char buf[64];

	nrb_lua_setstr(L, k, nrb_pkt_addr_to_string(a, buf, sizeof buf));
}

static const char *af_name(int af)
{
	return af == AF_INET6 ? "ipv6" : "ipv4";
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	default: return NULL;
	}
}

/* [-0, +1, m] */
static void push_provenance(lua_State *L, const struct nrb_cap_provenance *p)
{
	size_t i;

	lua_createtable(L, 0, 11);
	nrb_lua_setstr(L, "origin", nrb_cap_origin_name(p->origin));
	nrb_lua_setstr(L, "confidence", nrb_cap_confidence_name(p->confidence));
	nrb_lua_setint(L, "ttl", p->ttl);
	nrb_lua_setint(L, "hop", p->hop);
	if (p->genuine_ttl >= 0) {
		nrb_lua_setint(L, "genuine_ttl", p->genuine_ttl);
		nrb_lua_setint(L, "genuine_hop", p->genuine_hop);
	}
	nrb_lua_setint(L, "ip_id", p->ip_id);
	set_ms(L, "delay_ms", p->delay_us);
	set_ms(L, "genuine_rtt_ms", p->genuine_rtt_us);
	lua_createtable(L, (int)p->n_reasons, 0);
	for (i = 0; i < p->n_reasons; i++) {
		lua_pushstring(L, p->reasons[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "reasons");
}

/* [-0, +1, m] */
static void push_side(lua_State *L, const struct nrb_cap_side *s)
{
	lua_createtable(L, 0, 22);
	set_addr(L, "address", &s->addr);
	nrb_lua_setint(L, "port", s->port);
	nrb_lua_setint(L, "packets", (lua_Integer)s->packets);
	nrb_lua_setint(L, "payload_bytes", (lua_Integer)s->payload_bytes);
	if (s->packets) {
		nrb_lua_setint(L, "ttl_first", s->ttl_first);
		nrb_lua_setint(L, "ttl_min", s->ttl_min);
		nrb_lua_setint(L, "ttl_max", s->ttl_max);
		nrb_lua_setint(L, "hop", nrb_cap_ttl_hop(s->ttl_first));
		nrb_lua_setint(L, "ip_id_first", s->ip_id_first);
		nrb_lua_setint(L, "ip_id_last", s->ip_id_last);
	}
	if (s->mss)
		nrb_lua_setint(L, "mss", s->mss);
	if (s->wscale >= 0)
		nrb_lua_setint(L, "wscale", s->wscale);
	nrb_lua_setbool(L, "sack_ok", s->sack_ok);
	nrb_lua_setbool(L, "timestamps", s->timestamps);
	if (s->syns)
		nrb_lua_setint(L, "syn_window", s->syn_window);
	nrb_lua_setint(L, "syns", s->syns);
	nrb_lua_setint(L, "retransmissions", s->retrans);
	nrb_lua_setint(L, "large_segments", s->large_segments);
	nrb_lua_setint(L, "large_retransmissions", s->large_retrans);
	nrb_lua_setint(L, "max_payload", s->max_payload);
	nrb_lua_setbool(L, "fin", s->fin);
	nrb_lua_setbool(L, "rst", s->rst);
}

static void push_stats(lua_State *L, const struct nrb_cap_result *r)
{
	const struct nrb_cap_stats *st = &r->stats;

	lua_createtable(L, 0, 17);
	nrb_lua_setint(L, "packets", (lua_Integer)st->packets);
	nrb_lua_setint(L, "bytes", (lua_Integer)st->bytes);
	nrb_lua_setint(L, "ip_packets", (lua_Integer)st->ip_packets);
	nrb_lua_setint(L, "non_ip", (lua_Integer)st->non_ip);
	nrb_lua_setint(L, "malformed", (lua_Integer)st->malformed);
	nrb_lua_setint(L, "snaplen_cut", (lua_Integer)st->snaplen_cut);
	nrb_lua_setint(L, "filtered", (lua_Integer)st->filtered);
	nrb_lua_setint(L, "fragments", (lua_Integer)st->fragments);
	nrb_lua_setint(L, "vlan_tagged", (lua_Integer)st->vlan_tagged);
	if (st->first_vlan >= 0)
		nrb_lua_setint(L, "first_vlan", st->first_vlan);
	nrb_lua_setint(L, "flows_dropped", (lua_Integer)st->flows_dropped);
	nrb_lua_setint(L, "icmp_dropped", (lua_Integer)st->icmp_dropped);
	nrb_lua_setint(L, "findings_dropped", (lua_Integer)st->findings_dropped);
	nrb_lua_setint(L, "max_flows", (lua_Integer)r->opts.max_flows);
	if (st->packets) {
		nrb_lua_setnum(L, "first_time", (lua_Number)st->first_us / 1e6);
		nrb_lua_setnum(L, "last_time", (lua_Number)st->last_us / 1e6);
		nrb_lua_setnum(L, "duration_ms", (lua_Number)(st->last_us - st->first_us) / 1000.0);
	}
	lua_setfield(L, -2, "stats");
}

static void push_connections(lua_State *L, const struct nrb_cap_result *r)
{
	size_t i;

	lua_createtable(L, (int)r->n_conns, 0);
	for (i = 0; i < r->n_conns; i++) {
		const struct nrb_cap_conn *c = &r->conns[i];

		lua_createtable(L, 0, 20);
		nrb_lua_setstr(L, "proto", "tcp");
		nrb_lua_setstr(L, "af", af_name(c->af));
		nrb_lua_setstr(L, "state", nrb_cap_state_name(c->state));
		nrb_lua_setstr(L, "state_desc", nrb_cap_state_desc(c->state));
		nrb_lua_setstr(L, "history", c->history);
		nrb_lua_setnum(L, "start_time", (lua_Number)c->first_us / 1e6);
		nrb_lua_setnum(L, "duration_ms", (lua_Number)(c->last_us - c->first_us) / 1000.0);
		set_ms(L, "handshake_rtt_ms", c->handshake_rtt_us);
		set_ms(L, "ack_rtt_ms", c->ack_rtt_us);
		if (c->reset_by) {
			nrb_lua_setstr(L, "reset_by", nrb_cap_who_name(c->reset_by));
			if (c->rst) {
				push_provenance(L, c->rst);
				lua_setfield(L, -2, "reset");
			}
		}
		lua_newtable(L);
		nrb_lua_mark_array(L);
		lua_setfield(L, -2, "icmp"); /* filled by push_icmp */
		nrb_lua_setbool(L, "frag_needed", c->frag_needed);
		nrb_lua_setint(L, "large_threshold", c->large_threshold);
		if (c->large_loss)
			nrb_lua_setstr(L, "large_loss", nrb_cap_who_name(c->large_loss));
		push_side(L, &c->orig);
		lua_setfield(L, -2, "orig");
		push_side(L, &c->resp);
		lua_setfield(L, -2, "resp");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "connections");
}

static void push_udp(lua_State *L, const struct nrb_cap_result *r)
{
	size_t i;

	lua_createtable(L, (int)r->n_udp, 0);
	for (i = 0; i < r->n_udp; i++) {
		const struct nrb_cap_udp *u = &r->udp[i];

		lua_createtable(L, 0, 16);
		nrb_lua_setstr(L, "proto", "udp");
		nrb_lua_setstr(L, "af", af_name(u->af));
		set_addr(L, "client", &u->client);
		nrb_lua_setint(L, "client_port", u->client_port);
		set_addr(L, "server", &u->server);
		nrb_lua_setint(L, "server_port", u->server_port);
		nrb_lua_setint(L, "requests", (lua_Integer)u->requests);
		nrb_lua_setint(L, "responses", (lua_Integer)u->responses);
		nrb_lua_setint(L, "request_bytes", (lua_Integer)u->request_bytes);
		nrb_lua_setint(L, "response_bytes", (lua_Integer)u->response_bytes);
		nrb_lua_setnum(L, "start_time", (lua_Number)u->first_us / 1e6);
		nrb_lua_setnum(L, "duration_ms", (lua_Number)(u->last_us - u->first_us) / 1000.0);
		set_ms(L, "rtt_ms", u->rtt_us);
		if (u->responses)
			nrb_lua_setint(L, "server_ttl", u->server_ttl);
		nrb_lua_setstr(L, "status", u->responses ? "answered" : u->icmp_count ? "icmp_error" : "unanswered");
		lua_newtable(L);
		nrb_lua_mark_array(L);
		lua_setfield(L, -2, "icmp");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "udp");
}

/* Append ICMP index i (1-based) to list[flow].icmp, list at the top of the stack. */
static void link_icmp(lua_State *L, long flow, size_t i)
{
	if (flow < 0)
		return;
	lua_rawgeti(L, -1, (lua_Integer)flow + 1);
	lua_getfield(L, -1, "icmp");
	lua_pushinteger(L, (lua_Integer)i + 1);
	lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
	lua_pop(L, 2);
}

static void push_icmp(lua_State *L, const struct nrb_cap_result *r)
{
	size_t i;

	lua_createtable(L, (int)r->n_icmp, 0);
	for (i = 0; i < r->n_icmp; i++) {
		const struct nrb_cap_icmp *e = &r->icmp[i];
		const char *pn = proto_name(e->quote.proto);

		lua_createtable(L, 0, 18);
		nrb_lua_setnum(L, "time", (lua_Number)e->ts_us / 1e6);
		nrb_lua_setstr(L, "af", af_name(e->af));
		nrb_lua_setint(L, "type", e->type);
		nrb_lua_setint(L, "code", e->code);
		nrb_lua_setstr(L, "name", nrb_pkt_icmp_name(e->af, e->type, e->code));
		nrb_lua_setstr(L, "kind", nrb_pkt_err_name(e->err));
		set_addr(L, "sender", &e->sender);
		set_addr(L, "to", &e->to);
		nrb_lua_setint(L, "ttl", e->ttl);
		nrb_lua_setint(L, "hop", e->hop);
		nrb_lua_setint(L, "ip_id", e->ip_id);
		if (e->mtu)
			nrb_lua_setint(L, "mtu", e->mtu);
		if (e->quote.present) {
			lua_createtable(L, 0, 5);
			if (pn)
				nrb_lua_setstr(L, "proto", pn);
			else
				nrb_lua_setint(L, "proto", e->quote.proto);
			set_addr(L, "src", &e->quote.src);
			set_addr(L, "dst", &e->quote.dst);
			if (e->quote.l4_present && (e->quote.proto == IPPROTO_TCP || e->quote.proto == IPPROTO_UDP)) {
				nrb_lua_setint(L, "sport", e->quote.sport);
				nrb_lua_setint(L, "dport", e->quote.dport);
			}
			lua_setfield(L, -2, "quote");
		}
		set_index(L, "connection", e->conn);
		set_index(L, "udp", e->udp);
		nrb_lua_setbool(L, "from_target", e->from_target);
		if (e->from_target) {
			push_provenance(L, &e->prov);
			lua_setfield(L, -2, "provenance");
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "icmp");
	/* cross-links: connections[c].icmp / udp[u].icmp list the errors quoting them */
	lua_getfield(L, -1, "connections");
	for (i = 0; i < r->n_icmp; i++)
		link_icmp(L, r->icmp[i].conn, i);
	lua_pop(L, 1);
	lua_getfield(L, -1, "udp");
	for (i = 0; i < r->n_icmp; i++)
		link_icmp(L, r->icmp[i].udp, i);
	lua_pop(L, 1);
}

static void push_findings(lua_State *L, const struct nrb_cap_result *r)
{
	size_t i;

	lua_createtable(L, (int)r->n_findings, 0);
	for (i = 0; i < r->n_findings; i++) {
		const struct nrb_cap_finding *f = &r->findings[i];

		lua_createtable(L, 0, 7);
		nrb_lua_setstr(L, "severity", nrb_cap_severity_name(f->severity));
		nrb_lua_setstr(L, "kind", f->kind);
		nrb_lua_setstr(L, "text", f->text);
		if (f->hop >= 0)
			nrb_lua_setint(L, "hop", f->hop);
		set_index(L, "connection", f->conn);
		set_index(L, "udp", f->udp);
		set_index(L, "icmp", f->icmp);
		nrb_lua_setint(L, "count", f->count);
		if (f->addr.af) {
			set_addr(L, "address", &f->addr);
			if (f->port)
				nrb_lua_setint(L, "port", f->port);
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nrb_lua_mark_array(L);
	lua_setfield(L, -2, "findings");
}

/* The result table is built under pcall so that a memory error raised while pushing
 * does not leak the C result (freed by the caller whatever happens). */
static int build_table(lua_State *L)
{
	const struct nrb_cap_result *r = lua_touserdata(L, 1);
	const char *path = lua_tostring(L, 2);

	lua_createtable(L, 0, 9);
	nrb_lua_setstr(L, "file", path);
	lua_createtable(L, 0, 2);
	nrb_lua_setint(L, "type", r->linktype);
	nrb_lua_setstr(L, "name", r->linktype_name);
	lua_setfield(L, -2, "link");
	nrb_lua_setbool(L, "truncated", r->truncated);
	if (r->truncated)
		nrb_lua_setstr(L, "read_error", r->read_error);
	push_stats(L, r);
	push_connections(L, r);
	push_udp(L, r);
	push_icmp(L, r);
	push_findings(L, r);
	return 1;
}

static int l_capture_analyze_file(lua_State *L)
{
	static const char *const keys[] = {"target", "port", "max_flows", NULL};
	struct nrb_cap_opts o;
	struct nrb_cap_result *r = NULL;
	const char *path = luaL_checkstring(L, 1);
	const char *target;
	lua_Integer port, max_flows;
	char err[512];
	int rc, has_port, has_max;

	memset(&o, 0, sizeof o);
	if (!lua_isnoneornil(L, 2)) {
		nrb_lua_check_keys(L, 2, keys);
		lua_getfield(L, 2, "target");
		target = luaL_optstring(L, -1, NULL);
		lua_getfield(L, 2, "port");
		has_port = !lua_isnil(L, -1);
		port = luaL_optinteger(L, -1, 0);
		lua_getfield(L, 2, "max_flows");
		has_max = !lua_isnil(L, -1);
		max_flows = luaL_optinteger(L, -1, 0);
		lua_pop(L, 3);
		if (target && nrb_pkt_addr_from_string(&o.target, target))
			return luaL_argerror(L, 2, lua_pushfstring(L, "target '%s' is not a numeric IPv4 or IPv6 address", target));
		luaL_argcheck(L, !has_port || (port >= 1 && port <= 65535), 2, "port must be 1..65535");
		luaL_argcheck(L, !has_max || (max_flows >= 1 && max_flows <= (1 << 24)), 2,
			      "max_flows must be 1..16777216");
		o.port = (uint16_t)port;
		o.max_flows = (size_t)max_flows;
	}
	rc = nrb_cap_analyze_file(path, &o, &r, err, sizeof err);
	if (rc == -ENOMEM)
		return luaL_error(L, "%s", err);
	if (rc) {
		luaL_pushfail(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushcfunction(L, build_table);
	lua_pushlightuserdata(L, r);
	lua_pushvalue(L, 1);
	rc = lua_pcall(L, 2, 1, 0);
	nrb_cap_result_free(r);
	if (rc != LUA_OK)
		return lua_error(L);
	return 1;
}

/* ------------------------------------------------------------ live captures */

#define CAPTURE_MT "nrb.capture"

/** A live capture handle: created closed (s == NULL), then opened. */
struct l_capture {
	struct nrb_cap_session *s; /* the running session, NULL once stopped/closed */
	char ifname[IF_NAMESIZE];  /* interface captured on */
	char filter[1024];         /* BPF filter in use ("" = everything) */
	char address[64];          /* analysis target, "" for none */
	int port;                  /* analysis port, 0 for any */
	char file[PATH_MAX];       /* absolute .pcap path, "" for none */
};

#define check_capture(L) ((struct l_capture *)luaL_checkudata(L, 1, CAPTURE_MT))

/* stop{min_ms} stops waiting this long before the step's time limit, so that the stop and
 * the analysis still fit in the step */
#define STOP_MARGIN_US (2000u * 1000u)

/* Read an optional integer option lo..hi at the top of the stack and pop it.
 * [-1, +0, v] */
static lua_Integer opt_range(lua_State *L, int arg, const char *k, lua_Integer lo, lua_Integer hi)
{
	lua_Integer v = 0;

	if (!lua_isnil(L, -1)) {
		if (!lua_isinteger(L, -1))
			luaL_argerror(L, arg, lua_pushfstring(L, "%s must be an integer", k));
		v = lua_tointeger(L, -1);
		if (v < lo || v > hi)
			luaL_argerror(L, arg, lua_pushfstring(L, "%s must be %I..%I", k, lo, hi));
	}
	lua_pop(L, 1);
	return v;
}

/* Read an optional string option at the top of the stack (kept on the stack so the
 * pointer stays valid).  [-0, +0, v] */
static const char *opt_str(lua_State *L, int arg, const char *k)
{
	if (lua_isnil(L, -1))
		return NULL;
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_argerror(L, arg, lua_pushfstring(L, "%s must be a string", k));
	return lua_tostring(L, -1);
}

/* An environment failure (no permission, no interface, a file that cannot be written):
 * nil, message, errno (luaL_fileresult's shape).  [-0, +3, m] */
static int env_fail(lua_State *L, int rc, const char *err)
{
	luaL_pushfail(L);
	lua_pushstring(L, err);
	lua_pushinteger(L, -rc);
	return 3;
}

static int l_capture_start(lua_State *L)
{
	static const char *const keys[] = {"address", "port", "interface", "filter", "file",
	                                   "max_packets", "max_bytes", "duration_ms",
	                                   "max_flows", NULL};
	struct nrb_cap_session_opts o;
	struct l_capture *c;
	struct pcap *p;
	const char *address, *ifname, *filter, *file;
	char err[512];
	int rc;

	if (lua_isnoneornil(L, 1))
		lua_newtable(L);
	nrb_lua_check_keys(L, 1, keys);
	memset(&o, 0, sizeof o);
	lua_getfield(L, 1, "port");
	o.analysis.port = (uint16_t)opt_range(L, 1, "port", 1, 65535);
	lua_getfield(L, 1, "max_packets");
	o.max_packets = (uint64_t)opt_range(L, 1, "max_packets", 1, 10000000);
	lua_getfield(L, 1, "max_bytes");
	o.max_bytes = (uint64_t)opt_range(L, 1, "max_bytes", 1, (lua_Integer)1 << 32);
	lua_getfield(L, 1, "duration_ms");
	o.max_ms = (uint32_t)opt_range(L, 1, "duration_ms", 1, 3600000);
	lua_getfield(L, 1, "max_flows");
	o.analysis.max_flows = (size_t)opt_range(L, 1, "max_flows", 1, 1 << 24);
	lua_getfield(L, 1, "address");
	address = opt_str(L, 1, "address");
	lua_getfield(L, 1, "interface");
	ifname = opt_str(L, 1, "interface");
	lua_getfield(L, 1, "filter");
	filter = opt_str(L, 1, "filter");
	lua_getfield(L, 1, "file");
	file = opt_str(L, 1, "file"); /* the four strings stay on the stack */
	if (address && nrb_pkt_addr_from_string(&o.analysis.target, address))
		return luaL_argerror(L, 1, lua_pushfstring(L, "address '%s' is not a numeric IPv4 or IPv6 address", address));
	luaL_argcheck(L, !ifname || (*ifname && strlen(ifname) < IF_NAMESIZE), 1,
	              "interface must be an interface name (1..15 characters)");
	luaL_argcheck(L, !filter || strlen(filter) < sizeof c->filter, 1, "filter longer than 1023 bytes");
	luaL_argcheck(L, !file || *file, 1, "file must not be empty");

	/* created closed, then opened (liolib newprefile): a failure below leaves a closed
	 * handle for the collector, never a half-open one */
	c = lua_newuserdatauv(L, sizeof *c, 0);
	memset(c, 0, sizeof *c);
	luaL_setmetatable(L, CAPTURE_MT);
	if (address)
		snprintf(c->address, sizeof c->address, "%s", address);
	c->port = o.analysis.port;
	if (filter)
		snprintf(c->filter, sizeof c->filter, "%s", filter);
	else if (nrb_cap_filter_for(&o.analysis, c->filter, sizeof c->filter))
		return luaL_error(L, "capture filter too long");
	if (ifname)
		snprintf(c->ifname, sizeof c->ifname, "%s", ifname);
	else
		nrb_priv_capture_ifname(address, c->ifname, sizeof c->ifname);
	if (file) {
		char cwd[PATH_MAX];
		int n;

		if (file[0] == '/')
			n = snprintf(c->file, sizeof c->file, "%s", file);
		else if (getcwd(cwd, sizeof cwd))
			n = snprintf(c->file, sizeof c->file, "%s/%s", cwd, file);
		else
			n = snprintf(c->file, sizeof c->file, "%s", file);
		luaL_argcheck(L, n > 0 && (size_t)n < sizeof c->file - 5, 1, "file name too long");
	}
	o.filter = c->filter;
	o.pcap_path = c->file[0] ? c->file : NULL;
	rc = nrb_priv_open_pcap(c->ifname, NULL, &p, err, sizeof err);
	if (rc == 0)
		rc = nrb_cap_session_start(p, &o, &c->s, err, sizeof err); /* consumes p */
	if (rc == -EINVAL)
		return luaL_error(L, "%s", err); /* the filter: the caller's text */
	if (rc == -ENOMEM)
		return luaL_error(L, "%s", err);
	if (rc)
		return env_fail(L, rc, err);
	return 1;
}

/* The analysis of a stopped session plus what the handle knows.  Run under pcall (see
 * build_table).  [-0, +1, m] */
static int build_live_table(lua_State *L)
{
	const struct nrb_cap_result *r = lua_touserdata(L, 1);
	const struct l_capture *c = lua_touserdata(L, 2);

	lua_settop(L, 1);
	lua_pushcfunction(L, build_table);
	lua_pushvalue(L, 1);
	if (c->file[0])
		lua_pushstring(L, c->file);
	else
		lua_pushnil(L);
	lua_call(L, 2, 1);
	nrb_lua_setstr(L, "interface", c->ifname);
	nrb_lua_setstr(L, "filter", c->filter);
	if (c->address[0])
		nrb_lua_setstr(L, "address", c->address);
	if (c->port)
		nrb_lua_setint(L, "port", c->port);
	nrb_lua_setint(L, "packets", (lua_Integer)r->stats.packets);
	nrb_lua_setstr(L, "stopped_by", r->stopped_by);
	return 1;
}

/* stop([{min_ms = N}]): first wait (bounded) until the capture has run min_ms, then stop
 * it and analyse.  The wait never outlasts the running step's time limit (less a margin
 * for the analysis) and ends at once on Ctrl-C: the capture is then stopped early and its
 * analysis still returned, with wait = "interrupted". */
static int l_capture_stop(lua_State *L)
{
	static const char *const keys[] = {"min_ms", NULL};
	static const char *const wait_names[] = {"elapsed", "done", "interrupted", "limit"};
	struct l_capture *c = check_capture(L);
	struct nrb_cap_result *r = NULL;
	struct nrb_cap_session *s = c->s;
	struct nrb_host *h = nrb_host_from(L);
	uint64_t t0, limit = 0, ran_ms, waited_ms = 0;
	lua_Integer min_ms = 0;
	int rc, wait = -1;
	char err[512];

	luaL_argcheck(L, s != NULL, 1, "capture already stopped");
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		nrb_lua_check_keys(L, 2, keys);
		lua_getfield(L, 2, "min_ms");
		min_ms = opt_range(L, 2, "min_ms", 0, 3600000);
	}
	t0 = nrb_now_us();
	if (min_ms > 0) {
		if (h && h->in_step && h->deadline_us)
			limit = h->deadline_us > STOP_MARGIN_US ? h->deadline_us - STOP_MARGIN_US : 1;
		wait = nrb_cap_session_wait(s, (uint32_t)min_ms, limit);
		waited_ms = (nrb_now_us() - t0) / 1000u;
	}
	ran_ms = nrb_cap_session_elapsed_ms(s);
	/* a Ctrl-C ended the wait (or came before it): the capture is stopped and analysed
	 * now, and the step may still turn the analysis into evidence */
	if (nrb_interrupted())
		nrb_host_interrupt_honoured(L);
	c->s = NULL; /* consumed by stop, whatever the outcome */
	rc = nrb_cap_session_stop(s, &r, err, sizeof err);
	if (rc == -ENOMEM)
		return luaL_error(L, "%s", err);
	if (rc)
		return env_fail(L, rc, err);
	lua_pushcfunction(L, build_live_table);
	lua_pushlightuserdata(L, r);
	lua_pushlightuserdata(L, c);
	rc = lua_pcall(L, 2, 1, 0);
	nrb_cap_result_free(r);
	if (rc != LUA_OK)
		return lua_error(L);
	nrb_lua_setint(L, "ran_ms", (lua_Integer)ran_ms);
	if (wait >= 0 && wait < 4) {
		nrb_lua_setint(L, "min_ms", min_ms);
		nrb_lua_setint(L, "waited_ms", (lua_Integer)waited_ms);
		nrb_lua_setstr(L, "wait", wait_names[wait]);
	}
	return 1;
}

static int l_capture_info(lua_State *L)
{
	struct l_capture *c = check_capture(L);

	luaL_argcheck(L, c->s != NULL, 1, "capture already stopped");
	lua_createtable(L, 0, 5);
	nrb_lua_setstr(L, "interface", c->ifname);
	nrb_lua_setstr(L, "filter", c->filter);
	if (c->file[0])
		nrb_lua_setstr(L, "file", c->file);
	if (c->address[0])
		nrb_lua_setstr(L, "address", c->address);
	if (c->port)
		nrb_lua_setint(L, "port", c->port);
	nrb_lua_setint(L, "elapsed_ms", (lua_Integer)nrb_cap_session_elapsed_ms(c->s));
	return 1;
}

static int l_capture_done(lua_State *L)
{
	struct l_capture *c = check_capture(L);

	luaL_argcheck(L, c->s != NULL, 1, "capture already stopped");
	lua_pushboolean(L, nrb_cap_session_done(c->s));
	return 1;
}

/* __gc and __close: idempotent; discards an unstopped session and its partial file. */
static int l_capture_close(lua_State *L)
{
	struct l_capture *c = check_capture(L);

	nrb_cap_session_free(c->s);
	c->s = NULL;
	return 0;
}

static int l_capture_tostring(lua_State *L)
{
	struct l_capture *c = check_capture(L);

	if (c->s)
		lua_pushfstring(L, "nrb.capture (%s on %s)", nrb_cap_session_done(c->s) ? "done" : "running", c->ifname);
	else
		lua_pushliteral(L, "nrb.capture (closed)");
	return 1;
}

int luaopen_nrb_core_capture(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{"analyze_file", l_capture_analyze_file},
		{"start", l_capture_start},
		{NULL, NULL},
	};
	static const luaL_Reg meth[] = {
		{"stop", l_capture_stop},
		{"done", l_capture_done},
		{"info", l_capture_info},
		{NULL, NULL},
	};
	static const luaL_Reg metameth[] = {
		{"__index", NULL}, /* set below */
		{"__gc", l_capture_close},
		{"__close", l_capture_close},
		{"__tostring", l_capture_tostring},
		{NULL, NULL},
	};

	if (luaL_newmetatable(L, CAPTURE_MT)) {
		luaL_setfuncs(L, metameth, 0);
		luaL_newlib(L, meth);
		lua_setfield(L, -2, "__index");
		lua_pushliteral(L, CAPTURE_MT);
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
	luaL_newlib(L, funcs);
	return 1;
}
