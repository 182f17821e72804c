/* Unit tests for core/runbook/yaml.c: typing, positions, and every refused construct. */
#include "nrb_test.h"
#include "runbook/yaml.h"

#include <errno.h>

static lua_State *L;

static int setup(void **state)
{
	(void)state;
	L = luaL_newstate();
	luaL_openlibs(L);
	return L ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	lua_close(L);
	return 0;
}

static int parse(const char *text, char *err, size_t errlen)
{
	return nrb_yaml_parse(L, "t.yaml", text, strlen(text), err, errlen);
}

static void test_scalars_are_typed(void **state)
{
	const char *doc =
		"a: 1\n"            /* integer */
		"b: 2.5\n"          /* float */
		"c: true\n"
		"d: false\n"
		"e: ~\n"            /* null: no field */
		"f: '1'\n"          /* quoted: string */
		"g: hello world\n"
		"h: 0x1F\n"         /* hex integer */
		"i: 1.2.3\n"        /* not a number */
		"j: -7\n"
		"k: [x, 2]\n"
		"l: {m: n}\n";
	char err[256];

	(void)state;
	assert_int_equal(parse(doc, err, sizeof err), 0);
	assert_int_equal(lua_gettop(L), 2);
	lua_pop(L, 1); /* positions */
	lua_getfield(L, -1, "a");
	assert_true(lua_isinteger(L, -1));
	assert_int_equal(lua_tointeger(L, -1), 1);
	lua_getfield(L, -2, "b");
	assert_false(lua_isinteger(L, -1));
	assert_true(lua_tonumber(L, -1) == 2.5);
	lua_getfield(L, -3, "c");
	assert_true(lua_isboolean(L, -1) && lua_toboolean(L, -1));
	lua_getfield(L, -4, "d");
	assert_true(lua_isboolean(L, -1) && !lua_toboolean(L, -1));
	lua_getfield(L, -5, "e");
	assert_true(lua_isnil(L, -1));
	lua_getfield(L, -6, "f");
	assert_int_equal(lua_type(L, -1), LUA_TSTRING);
	assert_string_equal(lua_tostring(L, -1), "1");
	lua_getfield(L, -7, "g");
	assert_string_equal(lua_tostring(L, -1), "hello world");
	lua_getfield(L, -8, "h");
	assert_int_equal(lua_tointeger(L, -1), 31);
	lua_getfield(L, -9, "i");
	assert_int_equal(lua_type(L, -1), LUA_TSTRING);
	lua_getfield(L, -10, "j");
	assert_int_equal(lua_tointeger(L, -1), -7);
	lua_pop(L, 10);
	lua_getfield(L, -1, "k");
	assert_int_equal(lua_rawlen(L, -1), 2);
	lua_rawgeti(L, -1, 1);
	assert_string_equal(lua_tostring(L, -1), "x");
	lua_rawgeti(L, -2, 2);
	assert_int_equal(lua_tointeger(L, -1), 2);
	lua_pop(L, 3);
	lua_getfield(L, -1, "l");
	lua_getfield(L, -1, "m");
	assert_string_equal(lua_tostring(L, -1), "n");
	lua_settop(L, 0);
}

static void test_positions_side_table(void **state)
{
	const char *doc = "name: x\nsteps:\n  - id: one\n    uses: resolve\n";
	char err[256];

	(void)state;
	assert_int_equal(parse(doc, err, sizeof err), 0);
	/* stack: root, positions */
	lua_pushvalue(L, 1);
	lua_rawget(L, 2);                  /* positions[root] */
	lua_getfield(L, -1, "name");       /* {1, 7}: the value "x" starts at line 1 col 7 */
	lua_rawgeti(L, -1, 1);
	lua_rawgeti(L, -2, 2);
	assert_int_equal(lua_tointeger(L, -2), 1);
	assert_int_equal(lua_tointeger(L, -1), 7);
	lua_settop(L, 2);
	lua_getfield(L, 1, "steps");
	lua_rawgeti(L, -1, 1);             /* the first step */
	lua_rawget(L, 2);                  /* positions[step] */
	lua_getfield(L, -1, "uses");       /* "resolve" at line 4, col 11 */
	lua_rawgeti(L, -1, 1);
	lua_rawgeti(L, -2, 2);
	assert_int_equal(lua_tointeger(L, -2), 4);
	assert_int_equal(lua_tointeger(L, -1), 11);
	lua_settop(L, 0);
}

struct bad_case {
	const char *doc;      /* YAML text */
	const char *expect;   /* substring the message must contain (with position) */
};

static void test_refused_documents(void **state)
{
	static const struct bad_case cases[] = {
		{"a: [1, 2\n", "t.yaml:2:1: YAML syntax error"},
		{"a: 1\na: 2\n", "t.yaml:2:1: duplicate key 'a'"},
		{"a: ~\na: 2\n", "t.yaml:2:1: duplicate key 'a'"},
		{"a: &x 1\nb: *x\n", "t.yaml:1:4: anchors"},
		{"a: 1\nb: *x\n", "aliases"},
		{"a: !!python/object 1\n", "t.yaml:1:4: tag"},
		{"? [1, 2]\n: x\n", "t.yaml:1:3: mapping keys must be plain names"},
		{"a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document"},
		{"", "t.yaml:1:1: the file is empty"},
		{"a:\n  - \n  - x\n", "t.yaml:2:4: empty item in a list"},
		{"a: \"unterminated\n", "t.yaml:2:1: YAML syntax error"},
		{"a: b\n c: d\n", "YAML syntax error"},
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int top = lua_gettop(L);
		int rc = parse(cases[i].doc, err, sizeof err);
		if (rc != -EINVAL || !strstr(err, cases[i].expect))
			fail_msg("case %zu (%s): rc %d, message '%s', expected '%s'", i, cases[i].doc,
			         rc, err, cases[i].expect);
		assert_int_equal(lua_gettop(L), top); /* nothing left on the stack */
	}
}

static void test_nesting_limit(void **state)
{
	char doc[4096], err[256];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 80; i++)
		n += (size_t)snprintf(doc + n, sizeof doc - n, "[");
	for (int i = 0; i < 80; i++)
		n += (size_t)snprintf(doc + n, sizeof doc - n, "]");
	assert_int_equal(parse(doc, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "deeper than 64"));
}

static void test_size_limit_and_arguments(void **state)
{
	char err[256];
	char *big = malloc(NRB_YAML_MAX_BYTES + 2);

	(void)state;
	assert_non_null(big);
	memset(big, '#', NRB_YAML_MAX_BYTES + 1);
	big[NRB_YAML_MAX_BYTES + 1] = '\0';
	assert_int_equal(nrb_yaml_parse(L, "big.yaml", big, NRB_YAML_MAX_BYTES + 1, err, sizeof err), -EFBIG);
	assert_non_null(strstr(err, "big.yaml"));
	free(big);
	assert_int_equal(nrb_yaml_parse(L, "x", NULL, 0, err, sizeof err), -EINVAL);
	assert_int_equal(nrb_yaml_parse(NULL, "x", "a: 1", 4, err, sizeof err), -EINVAL);
}

static void test_fixture_files(void **state)
{
	struct nrb_host *h = test_host();
	lua_State *HL = nrb_host_state(h);

	(void)state;
	/* the good fixture loads and keeps its structure */
	assert_string_equal(test_lua_string(HL,
		"local y = require 'nrb.core.yaml'\n"
		"local doc, pos = y.load('" NRB_TEST_DIR "/fixtures/runbooks/good.yaml')\n"
		"return doc.name .. ' ' .. #doc.steps .. ' ' .. doc.steps[2].with.count .. ' ' .. pos[doc.steps[2]].uses[1]"),
		"good 2 1 18");
	/* a syntax error names the file, line and column */
	assert_string_equal(test_lua_string(HL,
		"local y = require 'nrb.core.yaml'\n"
		"local doc, err = y.load('" NRB_TEST_DIR "/fixtures/runbooks/bad-syntax.yaml')\n"
		"return (err:gsub('^.*/', ''))"),
		"bad-syntax.yaml:5:8: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence");
	/* a missing file is an error, not a crash */
	assert_string_equal(test_lua_string(HL,
		"local y = require 'nrb.core.yaml'\n"
		"local doc, err = y.load('/nonexistent/x.yaml')\n"
		"return tostring(doc) .. ' ' .. err"),
		"nil /nonexistent/x.yaml: No such file or directory");
	nrb_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars_are_typed),
		cmocka_unit_test(test_positions_side_table),
		cmocka_unit_test(test_refused_documents),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_size_limit_and_arguments),
		cmocka_unit_test(test_fixture_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
