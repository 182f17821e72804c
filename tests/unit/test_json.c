/* Unit tests for nrb.core.json (core/lua/l_json.c). */
#include "nrb_test.h"

static struct nrb_host *h;
static lua_State *L;

static int setup(void **state)
{
	(void)state;
	h = test_host();
	L = nrb_host_state(h);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nrb_host_free(h);
	return 0;
}

static const char *lua(const char *body)
{
	char code[4096];

	snprintf(code, sizeof code, "local json = require 'nrb.core.json'\n%s", body);
	return test_lua_string(L, code);
}

static void test_encode(void **state)
{
	(void)state;
	/* objects sorted by key, arrays for 1..n, empty table is an object unless marked */
	assert_string_equal(lua("return json.encode({b = 1, a = {3, 2}, c = {}, d = json.array(), e = json.null})"),
	                    "{\"a\":[3,2],\"b\":1,\"c\":{},\"d\":[],\"e\":null}");
	assert_string_equal(lua("return json.encode({x = 0.1, y = 2.0, z = -3, s = 'a\"b\\\\c\\n/'})"),
	                    "{\"s\":\"a\\\"b\\\\c\\n/\",\"x\":0.1,\"y\":2.0,\"z\":-3}");
	/* declared key order first, then the rest sorted */
	assert_string_equal(lua("return json.encode(json.object({z = 1, a = 2, m = 3}, {'z', 'm'}))"),
	                    "{\"z\":1,\"m\":3,\"a\":2}");
	/* a sparse array is an object with string keys */
	assert_string_equal(lua("return json.encode({[1] = 'a', [3] = 'c'})"), "{\"1\":\"a\",\"3\":\"c\"}");
	/* invalid UTF-8 from the network is repaired, valid UTF-8 kept */
	assert_string_equal(lua("return json.encode({'ok \\xe4\\xb8\\xad bad \\xff\\xfe end'})"),
	                    "[\"ok \xe4\xb8\xad bad \xef\xbf\xbd\xef\xbf\xbd end\"]");
}

static void test_encode_errors(void **state)
{
	(void)state;
	assert_string_equal(lua("local ok, e = pcall(json.encode, {f = print}) return e"),
	                    "json.encode: cannot encode a function");
	assert_string_equal(lua("local ok, e = pcall(json.encode, {0/0}) return e"),
	                    "json.encode: -nan is not a JSON number");
	assert_string_equal(lua("local t = {} t.self = t local ok, e = pcall(json.encode, t) return e"),
	                    "json.encode: nesting deeper than 100 (a cycle?)");
	assert_string_equal(lua("local ok, e = pcall(json.encode, {[true] = 1}) return e"),
	                    "json.encode: object key of type boolean");
}

static void test_decode(void **state)
{
	(void)state;
	assert_string_equal(lua("local v = json.decode('{\"a\": [1, 2.5, \"x\", null, true], \"b\": {}}')\n"
	                        "return math.type(v.a[1]) .. ' ' .. v.a[2] .. ' ' .. v.a[3] .. ' ' .."
	                        " tostring(v.a[4] == json.null) .. ' ' .. tostring(v.a[5]) .. ' ' .."
	                        " tostring(json.is_array(v.a)) .. ' ' .. tostring(json.is_array(v.b))"),
	                    "integer 2.5 x true true true false");
	/* round trip keeps empty arrays as arrays */
	assert_string_equal(lua("return json.encode(json.decode('{\"a\":[],\"b\":{}}'))"), "{\"a\":[],\"b\":{}}");
	assert_string_equal(lua("local v, e = json.decode('{\"a\": 1') return tostring(v) .. ' ' .. e"),
	                    "nil offset 7: unexpected end of data");
	assert_string_equal(lua("local v, e = json.decode('{\"a\": 1} x') return tostring(v) .. ' ' .. e"),
	                    "nil offset 9: unexpected character");
	assert_string_equal(lua("local v, e = json.decode('') return tostring(v) .. ' ' .. e"),
	                    "nil offset 0: unexpected end of data");
	assert_string_equal(lua("local v, e = json.decode(string.rep('[', 200)) return tostring(v) .. ' ' .. e"),
	                    "nil offset 100: nesting too deep");
	assert_string_equal(lua("local v, e = json.decode('[\"\\xff\"]') return tostring(v) .. ' ' .. e"),
	                    "nil offset 2: invalid utf-8 string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
