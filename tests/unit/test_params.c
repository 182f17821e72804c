/* Unit tests for parameter validation (lua/nrb/params.lua), table-driven: each case is a
 * type spec, a raw value as it comes from the command line, and the expected value or
 * the expected message. */
#include "nrb_test.h"

struct pcase {
	const char *spec;   /* Lua table constructor of the spec */
	const char *raw;    /* Lua expression of the raw value */
	const char *expect; /* "=value" (tostring of the result, with its math.type) or "!substring" */
};

static void run_cases(const struct pcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char code[1024];
		const char *r;

		snprintf(code, sizeof code,
		         "local p = require 'nrb.params'\n"
		         "local v, e = p.coerce('x', %s, %s)\n"
		         "if e then return '!' .. e end\n"
		         "return '=' .. tostring(v) .. (math.type(v) and (':' .. math.type(v)) or '')",
		         cases[i].spec, cases[i].raw);
		r = test_lua_string(L, code);
		if (cases[i].expect[0] == '=' ? strcmp(r, cases[i].expect) != 0
		                              : strstr(r, cases[i].expect + 1) == NULL || r[0] != '!')
			fail_msg("case %zu: coerce(%s, %s) gave '%s', expected '%s'", i, cases[i].spec,
			         cases[i].raw, r, cases[i].expect);
	}
}

static void test_ports(void **state)
{
	static const struct pcase cases[] = {
		{"{type='port'}", "'443'", "=443:integer"},
		{"{type='port'}", "'1'", "=1:integer"},
		{"{type='port'}", "'65535'", "=65535:integer"},
		{"{type='port'}", "'0'", "!parameter 'x': '0' is out of range 1-65535"},
		{"{type='port'}", "'70000'", "!parameter 'x': '70000' is out of range 1-65535"},
		{"{type='port'}", "'-1'", "!out of range"},
		{"{type='port'}", "'https'", "!parameter 'x': 'https' is not a number"},
		{"{type='port'}", "'443.5'", "!not a whole number"},
		{"{type='port'}", "'0x1bb'", "!is not a number"},
		{"{type='port'}", "''", "!is not a number"},
		{"{type='port'}", "80", "=80:integer"},
	};

	(void)state;
	run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_numbers_and_bools(void **state)
{
	static const struct pcase cases[] = {
		{"{type='int', min=1, max=10}", "'5'", "=5:integer"},
		{"{type='int', min=1, max=10}", "'0'", "!below the minimum 1"},
		{"{type='int', min=1, max=10}", "'11'", "!above the maximum 10"},
		{"{type='int'}", "'1e3'", "=1000:integer"},
		{"{type='number'}", "'0.25'", "=0.25:float"},
		{"{type='bool'}", "'yes'", "=true"},
		{"{type='bool'}", "'off'", "=false"},
		{"{type='bool'}", "'maybe'", "!'maybe' is not true or false"},
		{"{type='bool'}", "false", "=false"},
		{"{type='string'}", "'anything at all'", "=anything at all"},
		{"{type='enum', values={'tcp','udp'}}", "'udp'", "=udp"},
		{"{type='enum', values={'tcp','udp'}}", "'icmp'", "!'icmp' is not one of: tcp, udp"},
	};

	(void)state;
	run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_hosts_and_addresses(void **state)
{
	static const struct pcase cases[] = {
		{"{type='host'}", "'203.0.113.10'", "=203.0.113.10"},
		{"{type='host'}", "'2001:db8::10'", "=2001:db8::10"},
		{"{type='host'}", "'server.example.com'", "=server.example.com"},
		{"{type='host'}", "'server.example.com.'", "=server.example.com."},
		{"{type='host'}", "''", "!parameter 'x': must not be empty"},
		{"{type='host'}", "'-rf'", "!is not a host name or IP address"},
		{"{type='host'}", "'a b'", "!is not a host name"},
		{"{type='host'}", "'bad..name'", "!is not a host name"},
		{"{type='host'}", "string.rep('a', 64) .. '.example'", "!is not a host name"},
		{"{type='host'}", "'x;rm'", "!is not a host name"},
		/* numeric-looking text must be a dotted quad: inet_aton's 1.2.3 (1.2.0.3),
		 * 0x7f.1, 017.0.0.1, and 999.1.1.1 (a DNS query) are refused, never resolved */
		{"{type='host'}", "'1.2.3'", "!parameter 'x': '1.2.3' is not a valid IPv4 address"},
		{"{type='host'}", "'1.2'", "!is not a valid IPv4 address"},
		{"{type='host'}", "'1'", "!is not a valid IPv4 address"},
		{"{type='host'}", "'0x7f.1'", "!is not a valid IPv4 address"},
		{"{type='host'}", "'017.0.0.1'", "!is not a valid IPv4 address"},
		{"{type='host'}", "'1.2.3.4.'", "!is not a valid IPv4 address"},
		{"{type='host'}", "'999.1.1.1'", "!is not a valid IPv4 address"},
		{"{type='host'}", "'2001:db8::1::2'", "!is not a valid IPv6 address"},
		{"{type='host'}", "'fe80::1%eth0'", "!with a scope"},
		/* addresses no probe may go to */
		{"{type='host'}", "'0.0.0.0'", "!parameter 'x': 0.0.0.0 is the unspecified address"},
		{"{type='host'}", "'::'", "!:: is the unspecified address"},
		{"{type='host'}", "'224.0.0.1'", "!224.0.0.1 is a multicast address"},
		{"{type='host'}", "'ff02::1'", "!is a multicast address"},
		{"{type='host'}", "'255.255.255.255'", "!is the broadcast address"},
		{"{type='host'}", "'fe80::1'", "!fe80::1 is an IPv6 link-local address"},
		{"{type='host'}", "'::ffff:192.0.2.1'", "!give the IPv4 address 192.0.2.1"},
		{"{type='host'}", "'169.254.169.254'", "=169.254.169.254"},
		{"{type='host'}", "'server.example.'", "=server.example."},
		{"{type='host'}", "42", "!expected a host name or address, got number"},
		{"{type='address'}", "'192.0.2.1'", "=192.0.2.1"},
		{"{type='address'}", "'192.0.2.256'", "!is not a numeric IPv4 or IPv6 address"},
		{"{type='address'}", "'192.0.2'", "!is not a numeric"},
		{"{type='address'}", "'01.2.3.4'", "!is not a numeric"},
		{"{type='address'}", "'2001:db8::1'", "=2001:db8::1"},
		{"{type='address'}", "'::'", "=::"},
		{"{type='address'}", "'::ffff:192.0.2.1'", "=::ffff:192.0.2.1"},
		{"{type='address'}", "'2001:db8::1::2'", "!is not a numeric"},
		{"{type='address'}", "'2001:db8:0:0:0:0:0:0:1'", "!is not a numeric"},
		{"{type='address'}", "'example.com'", "!is not a numeric"},
		{"{type='address'}", "'1.2.3'", "!is not a numeric"},
		{"{type='address'}", "'0x7f.0.0.1'", "!is not a numeric"},
		{"{type='address'}", "'1.2.3.4.'", "!is not a numeric"},
		{"{type='address'}", "'fe80::1%eth0'", "!is not a numeric"},
		{"{type='address'}", "42", "!is not a numeric"},
	};

	(void)state;
	run_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_resolve_all(void **state)
{
	(void)state;
	/* defaults apply, required ones are reported, unknown names are rejected */
	assert_string_equal(test_lua_string(L,
		"local p = require 'nrb.params'\n"
		"local specs = {target = {type='host', required=true, description='the server'},\n"
		"               port = {type='port', default=443}}\n"
		"local v, errs = p.resolve(specs, {})\n"
		"local v2 = p.resolve(specs, {target='192.0.2.1'})\n"
		"local _, e3 = p.resolve(specs, {target='192.0.2.1', colour='red'})\n"
		"return tostring(v) .. '|' .. errs[1] .. '|' .. v2.port .. '|' .. e3[1]"),
		"nil|parameter 'target' is required (the server)|443|"
		"unknown parameter 'colour' (this runbook takes: port, target)");
	/* specs themselves are checked */
	assert_string_equal(test_lua_string(L,
		"local p = require 'nrb.params'\n"
		"local out = {}\n"
		"for _, e in ipairs(p.check_spec('n', {type='enum'})) do out[#out+1] = e.msg end\n"
		"for _, e in ipairs(p.check_spec('m', {type='port', default=0, colour=1})) do out[#out+1] = e.msg end\n"
		"for _, e in ipairs(p.check_spec('o', {type='string', min=1})) do out[#out+1] = e.msg end\n"
		"return table.concat(out, '|')"),
		"parameter 'n': enum needs a non-empty 'values' list|"
		"unknown key 'colour' in parameter 'm' (expected one of: type, required, default, description, values, min, max)|"
		"parameter 'o': 'min' must be a number and only applies to int and number");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_numbers_and_bools),
		cmocka_unit_test(test_hosts_and_addresses),
		cmocka_unit_test(test_resolve_all),
	};
	return cmocka_run_group_tests(tests, host_setup, host_teardown);
}
