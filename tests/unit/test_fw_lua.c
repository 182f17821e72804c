/* Unit tests for the Lua binding of core/fw (core/lua/l_fw.c): option checking (unknown
 * keys and bad values raise), results as plain tables, snapshots and their diff, on
 * committed fixtures passed as text. */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "fw/fw.h"
#include "util/util.h"

int luaopen_nrb_core_fw(lua_State *L);

static lua_State *new_state(void)
{
	lua_State *L = luaL_newstate();
	char path[512], err[256], *text = NULL;
	size_t len;
	static const char *const fx[][2] = {{"UFW", "ufw.iptables"}, {"FWD", "firewalld.json"},
	                                    {"F2B", "fail2ban.iptables"}};

	assert_non_null(L);
	luaL_openlibs(L);
	luaL_requiref(L, "fw", luaopen_nrb_core_fw, 1);
	lua_pop(L, 1);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/fixtures/fw/%s", NRB_TEST_DIR, fx[i][1]);
		assert_int_equal(nrb_read_file(path, 1 << 24, &text, &len, err, sizeof err), 0);
		lua_pushlstring(L, text, len);
		lua_setglobal(L, fx[i][0]);
		free(text);
	}
	return L;
}

/* Run a chunk that must succeed (its asserts are Lua asserts). */
static void ok(lua_State *L, const char *chunk)
{
	if (luaL_dostring(L, chunk) != LUA_OK)
		fail_msg("lua: %s", lua_tostring(L, -1));
}

/* Run a chunk that must raise an error containing msg. */
static void raises(lua_State *L, const char *chunk, const char *msg)
{
	if (luaL_dostring(L, chunk) == LUA_OK)
		fail_msg("no error from: %s", chunk);
	if (!strstr(lua_tostring(L, -1), msg))
		fail_msg("error '%s' lacks '%s'", lua_tostring(L, -1), msg);
	lua_pop(L, 1);
}

static void test_evaluate(void **state)
{
	lua_State *L = new_state();

	(void)state;
	ok(L, "local r = fw.evaluate{proto='tcp', dport=3306, sport=40000, src='198.51.100.20',"
	      " dst='192.0.2.10', iif='eth0', text=UFW, format='iptables'}\n"
	      "assert(r.decision == 'drop', r.decision)\n"
	      "assert(r.manager == 'ufw' and r.advice:find('ufw allow', 1, true))\n"
	      "assert(#r.path == 6)\n"
	      "assert(r.path[6].line == 103 and r.path[6].action == 'drop' and r.path[6].chain == 'ufw-user-input')\n"
	      "assert(r.path[6].ref == 'iptables-save line 103 (table filter): -A ufw-user-input -p tcp -m tcp --dport 3306 -j DROP')\n"
	      "assert(#r.notes == 0)\n");
	ok(L, "local r = fw.evaluate{proto='tcp', dport=8080, src='198.51.100.20', dst='192.0.2.10',"
	      " iif='eth0', text=FWD, format='nft'}\n"
	      "assert(r.decision == 'reject' and r.reject_with == 'icmpx admin-prohibited')\n"
	      "assert(r.path[#r.path].handle == 44 and r.path[#r.path].family == 'inet')\n");
	/* incomplete flow: uncertain, with notes */
	ok(L, "local r = fw.evaluate{proto='tcp', dport=22, src='198.51.100.20', text=FWD, format='nft'}\n"
	      "assert(r.decision == 'uncertain' and r.assumed == 'accept')\n"
	      "assert(#r.notes >= 1 and r.notes[1]:find('no input interface', 1, true))\n");
	/* lists are marked as JSON arrays, so an empty path or note list is [] in a report
	 * (not {}): an empty ruleset accepts by policy with no step */
	ok(L, "local r = fw.evaluate{proto='tcp', dport=443, dst='203.0.113.10', direction='output',"
	      " text='*filter\\n:INPUT ACCEPT [0:0]\\n:OUTPUT ACCEPT [0:0]\\nCOMMIT\\n',"
	      " format='iptables'}\n"
	      "assert(r.decision == 'accept', r.decision)\n"
	      "for _, k in ipairs({'path', 'notes'}) do\n"
	      "  local mt = getmetatable(r[k])\n"
	      "  assert(mt and mt.__name == 'nrb.json.array', k .. ' is not marked as a list')\n"
	      "end\n");
	/* bad ruleset text is the input failing: nil, msg */
	ok(L, "local r, msg = fw.evaluate{dport=22, text='*filter\\n', format='iptables'}\n"
	      "assert(r == nil and msg:find('has no COMMIT', 1, true), msg)\n");
	lua_close(L);
}

/* The deciding step is marked (rules that only count or log are "continue" steps), and what could not be read reaches Lua instead of being dropped. */
static void test_deciding_and_problems(void **state)
{
	lua_State *L = new_state();

	(void)state;
	ok(L, "local r = fw.evaluate{proto='tcp', dport=22, src='198.51.100.13', dst='192.0.2.10',"
	      " iif='eth0', text=F2B, format='iptables'}\n"
	      "assert(r.deciding == 2 and r.path[2].deciding == true and r.path[1].deciding == nil)\n"
	      "assert(r.manager == 'fail2ban')\n"
	      "assert(type(r.problems) == 'table' and #r.problems == 0)\n"
	      /* passed fail2ban's chain and accepted: no ban advice */
	      "local a = fw.evaluate{proto='tcp', dport=22, src='198.51.100.14', dst='192.0.2.10',"
	      " iif='eth0', text=F2B, format='iptables'}\n"
	      "assert(a.decision == 'accept' and a.manager == nil and a.advice == nil)\n"
	      "assert(a.path[a.deciding].kind == 'policy')\n"
	      "local rs = fw.ruleset{text=F2B, format='iptables'}\n"
	      "assert(#rs.problems == 0 and #rs.unread == 0)\n"
	      "local s = fw.snapshot{text=F2B, format='iptables'}\n"
	      "assert(#s:problems() == 0)\n"
	      "s:close()\n"
	      "assert(not pcall(s.problems, s))\n");
	lua_close(L);
}

/* Live, in a private namespace whose legacy iptables holds a rule nrb's parser refuses
 * (130 comment matches: more words than it takes on a line): the source's failure reaches
 * Lua as `problems`/`unread`, and the decision is uncertain with a note. */
static void test_live_problems(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0 || access("/usr/sbin/iptables-legacy", X_OK) ||
	    access("/usr/sbin/iptables-legacy-save", X_OK))
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char com[130][8];
		char *argv[16 + 4 * 130], *out = NULL, err[512];
		lua_State *L;
		size_t len;
		int n = 0;

		if (unshare(CLONE_NEWNET))
			_exit(77);
		argv[n++] = "/usr/sbin/iptables-legacy";
		argv[n++] = "-w";
		argv[n++] = "-A";
		argv[n++] = "INPUT";
		for (int i = 0; i < 130; i++) {
			snprintf(com[i], sizeof com[i], "c%d", i);
			argv[n++] = "-m";
			argv[n++] = "comment";
			argv[n++] = "--comment";
			argv[n++] = com[i];
		}
		argv[n++] = "-j";
		argv[n++] = "DROP";
		argv[n] = NULL;
		if (nrb_fw_run(argv[0], argv, 1 << 20, 10000, &out, &len, err, sizeof err))
			_exit(2);
		free(out);
		L = new_state();
		if (luaL_dostring(L,
		        "local rs = assert(fw.ruleset())\n"
		        "assert(#rs.problems == 1 and #rs.unread == 1, #rs.problems)\n"
		        "assert(rs.unread[1]:find('iptables-legacy-save:', 1, true) and rs.unread[1]:find('too many words', 1, true))\n"
		        "local r = assert(fw.evaluate{proto='tcp', dport=22, src='198.51.100.20', dst='192.0.2.10', iif='eth0'})\n"
		        "assert(r.decision == 'uncertain' and r.assumed == 'accept', r.decision)\n"
		        "assert(#r.problems == 1 and r.notes[1]:find('could not be read: iptables-legacy-save:', 1, true))\n"
		        "local s = assert(fw.snapshot())\n"
		        "assert(#s:problems() == 1)\n") != LUA_OK) {
			fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
			_exit(3);
		}
		lua_close(L);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_caller_mistakes_raise(void **state)
{
	lua_State *L = new_state();

	(void)state;
	raises(L, "fw.evaluate{dprot=22, text=UFW, format='iptables'}", "unknown option 'dprot'");
	raises(L, "fw.evaluate{dport=70000, text=UFW, format='iptables'}", "option 'dport' must be an integer in 0..65535");
	raises(L, "fw.evaluate{direction='up', text=UFW, format='iptables'}", "option 'direction' must be one of input|output|forward");
	raises(L, "fw.evaluate{state='sleepy', text=UFW, format='iptables'}", "option 'state' must be one of new|established|related|invalid");
	raises(L, "fw.evaluate{proto='pigeon', text=UFW, format='iptables'}", "option 'proto' must be one of");
	raises(L, "fw.evaluate{dst='192.0.2.300', text=UFW, format='iptables'}", "destination address '192.0.2.300' is not a numeric");
	raises(L, "fw.evaluate{src=5, text=UFW, format='iptables'}", "option 'src' must be a string");
	raises(L, "fw.evaluate{iif='a-very-long-interface-name', text=UFW, format='iptables'}", "option 'iif' must be 1..15");
	raises(L, "fw.evaluate{text=UFW}", "option 'format' (iptables|ip6tables|nft) is required");
	raises(L, "fw.evaluate{text=UFW, format='pf'}", "option 'format' must be one of iptables|ip6tables|nft");
	raises(L, "fw.evaluate(5)", "table expected");
	raises(L, "fw.evaluate{ruleset=5}", "nrb.fw.snapshot expected");
	raises(L, "fw.ruleset{txt=UFW}", "unknown option 'txt'");
	raises(L, "fw.snapshot{text=UFW, format='iptables'}:diff(5)", "nrb.fw.snapshot expected");
	lua_close(L);
}

static void test_ruleset_table(void **state)
{
	lua_State *L = new_state();

	(void)state;
	ok(L, "local rs = fw.ruleset{text=F2B, format='iptables'}\n"
	      "assert(rs.nrules == 4 and #rs.tables == 1)\n"
	      "local t = rs.tables[1]\n"
	      "assert(t.family == 'ip' and t.name == 'filter' and t.origin == 'iptables')\n"
	      "assert(t.chains[1].name == 'INPUT' and t.chains[1].hook == 'input' and t.chains[1].policy == 'accept')\n"
	      "local f2b = t.chains[4]\n"
	      "assert(f2b.name == 'f2b-sshd' and f2b.hook == nil and #f2b.rules == 3)\n"
	      "assert(f2b.rules[1].verdict == 'reject' and f2b.rules[1].reject_with == 'icmp-port-unreachable')\n"
	      "assert(f2b.rules[1].line == 8 and f2b.rules[1].packets == 0)\n"
	      "assert(rs.managers[1] == 'fail2ban' and #rs.managers == 1)\n");
	lua_close(L);
}

static void test_snapshot_diff(void **state)
{
	lua_State *L = new_state();

	(void)state;
	ok(L, "local after = F2B:gsub('%[0:0%] %-A f2b%-sshd %-s 198', '[2:120] -A f2b-sshd -s 198')\n"
	      "local a = fw.snapshot{text=F2B, format='iptables'}\n"
	      "local b = fw.snapshot{text=after, format='iptables'}\n"
	      "assert(tostring(a) == 'nrb.fw.snapshot (4 rules)')\n"
	      "local d = a:diff(b)\n"
	      "assert(#d == 1 and d[1].packets == 2 and d[1].bytes == 120 and d[1].chain == 'f2b-sshd' and d[1].kind == 'rule')\n"
	      "assert(d[1].ref:find('line 9', 1, true))\n"
	      "assert(#a:diff(b, 3) == 0 and #b:diff(a) == 0)\n"
	      "local r = fw.evaluate{proto='tcp', dport=22, src='198.51.100.13', dst='192.0.2.10', iif='eth0', ruleset=b}\n"
	      "assert(r.decision == 'reject')\n"
	      "a:close(); a:close()\n"
	      "assert(tostring(a) == 'nrb.fw.snapshot (closed)')\n"
	      "assert(not pcall(a.diff, a, b))\n"
	      "assert(getmetatable(a) == 'locked')\n"
	      "do local c <close> = fw.snapshot{text=F2B, format='iptables'} end\n");
	lua_close(L);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evaluate),
		cmocka_unit_test(test_deciding_and_problems),
		cmocka_unit_test(test_live_problems),
		cmocka_unit_test(test_caller_mistakes_raise),
		cmocka_unit_test(test_ruleset_table),
		cmocka_unit_test(test_snapshot_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
