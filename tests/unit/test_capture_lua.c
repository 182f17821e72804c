/*
 * Tests of the nrb.core.capture binding (core/lua/l_capture.c): the table shape on lab
 * fixtures (values checked against tcpdump, see tests/fixtures/capture/README.md),
 * option checking, and nil + message for files that cannot be analysed.
 */
#include "nrb_test.h"

#include <ftw.h>
#include <sys/stat.h>

int luaopen_nrb_core_capture(lua_State *L);

static struct nrb_host *host;
static lua_State *L;

static int setup(void **state)
{
	(void)state;
	host = test_host();
	L = nrb_host_state(host);
	luaL_requiref(L, "nrb.core.capture", luaopen_nrb_core_capture, 0);
	lua_setglobal(L, "capture");
	lua_pushstring(L, NRB_TEST_DIR "/fixtures/capture/");
	lua_setglobal(L, "FIX");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nrb_host_free(host);
	return 0;
}

static void test_forged_rst_table(void **state)
{
	(void)state;
	assert_string_equal(test_lua_string(L,
		"local r = assert(capture.analyze_file(FIX .. 'forged_rst.pcap'))\n"
		"local c = r.connections[1]\n"
		"local p = c.reset\n"
		"return table.concat({r.link.name, r.link.type, tostring(r.truncated), r.stats.packets,\n"
		"  #r.connections, #r.udp, #r.icmp, c.state, c.history, c.reset_by, c.orig.address,\n"
		"  c.orig.port, c.resp.address, c.resp.port, c.orig.mss, c.orig.wscale, tostring(c.resp.mss),\n"
		"  tostring(c.handshake_rtt_ms), p.origin, p.confidence, p.ttl, p.hop, p.genuine_ttl,\n"
		"  p.genuine_hop, p.ip_id, #p.reasons, c.resp.ttl_first, c.resp.hop}, ',')"),
		"EN10MB,1,false,4,1,0,0,REJ,Sr,resp,192.0.2.2,53926,198.51.100.2,8083,1460,10,nil,"
		"nil,injected,medium,64,1,62,3,0,1,64,1");
	assert_string_equal(test_lua_string(L,
		"local r = capture.analyze_file(FIX .. 'forged_rst.pcap')\n"
		"local out = {}\n"
		"for _, f in ipairs(r.findings) do\n"
		"  out[#out + 1] = f.severity .. ':' .. f.kind .. ':' .. tostring(f.hop) .. ':' .. tostring(f.connection)\n"
		"    .. ':' .. f.count .. ':' .. f.address .. ':' .. f.port\n"
		"end\n"
		"return table.concat(out, ' ')"),
		"problem:rejected:1:1:1:198.51.100.2:8083 problem:rst_injected:1:1:1:198.51.100.2:8083");
}

static void test_icmp_and_udp_table(void **state)
{
	(void)state;
	assert_string_equal(test_lua_string(L,
		"local r = capture.analyze_file(FIX .. 'admin_prohib.pcap', {target = '198.51.100.2', port = 8085})\n"
		"local e, c = r.icmp[1], r.connections[1]\n"
		"return table.concat({c.state, #c.icmp, c.icmp[1], e.type, e.code, e.name, e.kind, e.sender,\n"
		"  e.ttl, e.hop, e.quote.proto, e.quote.src, e.quote.dst, e.quote.sport, e.quote.dport,\n"
		"  e.connection, tostring(e.udp), tostring(e.from_target), tostring(e.provenance), tostring(e.mtu)}, ',')"),
		"S0,1,1,3,13,communication administratively prohibited,admin_prohib,203.0.113.2,63,2,"
		"tcp,192.0.2.2,198.51.100.2,41194,8085,1,nil,false,nil,nil");
	assert_string_equal(test_lua_string(L,
		"local r = capture.analyze_file(FIX .. 'udp.pcap')\n"
		"local u1, u2, u3 = r.udp[1], r.udp[2], r.udp[3]\n"
		"local e = r.icmp[1]\n"
		"return table.concat({u1.status, u1.client, u1.client_port, u1.server, u1.server_port,\n"
		"  u1.requests, u1.responses, u1.request_bytes, u1.server_ttl, string.format('%.3f', u1.rtt_ms),\n"
		"  u2.status, u2.icmp[1], u3.status, tostring(u3.rtt_ms), e.udp, tostring(e.from_target),\n"
		"  e.provenance.origin, e.provenance.genuine_ttl}, ',')"),
		"answered,192.0.2.2,40001,198.51.100.2,5353,1,1,5,62,0.178,icmp_error,1,unanswered,nil,2,"
		"true,genuine,62");
}

static void test_pmtu_and_stats(void **state)
{
	(void)state;
	assert_string_equal(test_lua_string(L,
		"local r = capture.analyze_file(FIX .. 'pmtu_snap96.pcap')\n"
		"local c = r.connections[1]\n"
		"return table.concat({c.state, c.large_loss, c.large_threshold, c.orig.payload_bytes,\n"
		"  c.orig.large_segments, c.orig.large_retransmissions, c.orig.retransmissions,\n"
		"  tostring(c.frag_needed), r.stats.snaplen_cut, r.stats.max_flows, tostring(r.stats.first_vlan),\n"
		"  r.findings[1].kind, r.findings[2].kind}, ',')"),
		"S1,orig,1095,13246,7,5,5,false,8,65536,nil,snaplen_cut,large_packet_loss");
	assert_string_equal(test_lua_string(L,
		"local r = capture.analyze_file(FIX .. 'qinq.pcap', {max_flows = 1})\n"
		"return table.concat({r.stats.vlan_tagged, r.stats.first_vlan, r.stats.flows_dropped,\n"
		"  r.stats.max_flows, #r.connections, r.findings[1].kind}, ',')"),
		"8,200,2,1,1,flow_limit");
}

static void test_errors(void **state)
{
	(void)state;
	/* environment failures: nil, message */
	assert_string_equal(test_lua_string(L,
		"local r, err = capture.analyze_file(FIX .. 'nope.pcap')\n"
		"return tostring(r) .. '|' .. err"),
		"nil|" NRB_TEST_DIR "/fixtures/capture/nope.pcap: No such file or directory");
	assert_string_equal(test_lua_string(L,
		"local r, err = capture.analyze_file(FIX .. 'README.md')\n"
		"return tostring(r) .. '|' .. tostring(err:find('not a readable pcap', 1, true) ~= nil)"),
		"nil|true");
	/* caller mistakes raise */
	assert_string_equal(test_lua_string(L,
		"local res = {}\n"
		"for _, args in ipairs({\n"
		"  {FIX .. 'udp.pcap', {tagret = '192.0.2.1'}},\n"
		"  {FIX .. 'udp.pcap', {target = 'example.com'}},\n"
		"  {FIX .. 'udp.pcap', {port = 0}},\n"
		"  {FIX .. 'udp.pcap', {port = 70000}},\n"
		"  {FIX .. 'udp.pcap', {max_flows = 0}},\n"
		"  {FIX .. 'udp.pcap', 5},\n"
		"  {nil},\n"
		"}) do\n"
		"  local ok, err = pcall(capture.analyze_file, args[1], args[2])\n"
		"  res[#res + 1] = tostring(ok) .. ':' .. (err:match(\"unknown option '%w+'\") or err:match('port must') or\n"
		"    err:match('max_flows must') or err:match('not a numeric') or err:match('table expected') or\n"
		"    err:match('string expected') or err)\n"
		"end\n"
		"return table.concat(res, ' ')"),
		"false:unknown option 'tagret' false:not a numeric false:port must false:port must "
		"false:max_flows must false:table expected false:string expected");
	/* an empty options table and nil are both fine */
	assert_string_equal(test_lua_string(L,
		"return #capture.analyze_file(FIX .. 'syn_drop.pcap', {}).connections .. ',' ..\n"
		"  #capture.analyze_file(FIX .. 'syn_drop.pcap', nil).findings"),
		"1,1");
}

/* ------------------------------------------------------------ live captures */

/* A live capture writes .pcap files: give the Lua side a scratch directory (TMP). */
static char tmpdir[] = "/tmp/nrb-capture-lua.XXXXXX";

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

/* Live on loopback, as root: the partial file exists while running, is renamed on stop,
 * and removed by <close> or the collector; the analysis of a capture taken while a
 * connect to a closed port ran equals the offline analysis of the file it wrote.
 * Without privilege, start says so (nil, message, EPERM) and the rest is skipped. */
static void test_live_files(void **state)
{
	const char *r;

	(void)state;
	assert_non_null(mkdtemp(tmpdir));
	lua_pushstring(L, tmpdir);
	lua_setglobal(L, "TMP");
	r = test_lua_string(L,
		"local h, err, code = capture.start{interface = 'lo', filter = 'udp port 9'}\n"
		"if h then h:stop() return 'root' end\n"
		"return code == 1 and err:find('CAP_NET_RAW') and 'eperm' or err");
	if (strcmp(r, "eperm") == 0) {
		nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
		skip();
		return;
	}
	assert_string_equal(r, "root");
	/* <close> and the collector discard the partial file; stop completes it */
	assert_string_equal(test_lua_string(L,
		"local host = require 'nrb.core.host'\n"
		"local function kind(p) return tostring((host.kind(p))) end\n"
		"local out = {}\n"
		"local f1, f2, f3 = TMP .. '/closed.pcap', TMP .. '/gc.pcap', TMP .. '/kept.pcap'\n"
		"do\n"
		"  local h <close> = assert(capture.start{interface = 'lo', filter = 'udp port 9', file = f1})\n"
		"  out[#out + 1] = kind(f1 .. '.tmp')\n"
		"end\n"
		"out[#out + 1] = kind(f1 .. '.tmp') .. '/' .. kind(f1)\n"
		"local h2 = assert(capture.start{interface = 'lo', filter = 'udp port 9', file = f2})\n"
		"h2 = nil; collectgarbage(); collectgarbage()\n"
		"out[#out + 1] = kind(f2 .. '.tmp') .. '/' .. kind(f2)\n"
		"local h3 = assert(capture.start{interface = 'lo', filter = 'udp port 9', file = f3})\n"
		"local a = assert(h3:stop())\n"
		"out[#out + 1] = kind(f3 .. '.tmp') .. '/' .. kind(f3) .. '/' ..\n"
		"  tostring(a.file == f3) .. '/' .. a.packets\n"
		"return table.concat(out, ' ')"),
		"file nil/nil nil/nil nil/file/true/0");
	/* a relative file name is made absolute (the report names where it is) */
	assert_string_equal(test_lua_string(L,
		"local h = assert(capture.start{interface = 'lo', filter = 'udp port 9', file = 'rel.pcap'})\n"
		"local f = h:info().file\n"
		"h = nil; collectgarbage()\n"
		"return tostring(f:sub(1, 1) == '/' and f:sub(-9) == '/rel.pcap')"),
		"true");
	/* live vs offline on the same packets: a connect to a closed port (RST) */
	assert_string_equal(test_lua_string(L,
		"local probe = require 'nrb.probe'\n"
		"local f = TMP .. '/live.pcap'\n"
		"local h = assert(capture.start{address = '127.0.0.1', port = 1, interface = 'lo', file = f})\n"
		"local c = probe.tcp_connect{address = '127.0.0.1', port = 1, timeout_ms = 500}\n"
		"local live = assert(h:stop())\n"
		"local off = assert(capture.analyze_file(f, {target = '127.0.0.1', port = 1}))\n"
		"local lc, oc = live.connections[1], off.connections[1]\n"
		"local kinds = {}\n"
		"for i, x in ipairs(live.findings) do kinds[i] = x.kind .. (x.kind == off.findings[i].kind and '' or '!') end\n"
		"return table.concat({c.status, live.filter, live.interface, live.stopped_by, live.address, live.port,\n"
		"  tostring(live.packets == off.stats.packets and live.packets >= 2), #live.connections, #off.connections,\n"
		"  lc.state, oc.state, tostring(lc.history == oc.history), lc.reset.origin, oc.reset.origin,\n"
		"  #live.findings == #off.findings and table.concat(kinds, '+') or 'findings differ'}, ',')"),
		"refused,host 127.0.0.1 and (port 1 or icmp or icmp6),lo,stop,127.0.0.1,1,true,1,1,REJ,REJ,true,"
		"genuine,genuine,rejected+rst_genuine");
	nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_rst_table),
		cmocka_unit_test(test_icmp_and_udp_table),
		cmocka_unit_test(test_pmtu_and_stats),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_live_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
