/* Unit tests for the report template language (lua/nrb/template.lua). */
#include "nrb_test.h"

/* Render template src (a Lua long string) with data (a Lua table constructor). */
static const char *render(const char *src, const char *data)
{
	char code[4096];

	snprintf(code, sizeof code,
	         "local t = require 'nrb.template'\n"
	         "local ok, out = pcall(t.render_string, [==[%s]==], %s, 'tpl')\n"
	         "return (ok and '' or 'ERROR ') .. out", src, data);
	return test_lua_string(L, code);
}

static void test_values_and_paths(void **state)
{
	(void)state;
	assert_string_equal(render("a={{a}} b={{ b.c }} n={{list.2}} missing=[{{nope.x}}]",
	                           "{a = 'x', b = {c = 5}, list = {'p', 'q'}}"),
	                    "a=x b=5 n=q missing=[]");
	/* nothing in a template runs code: a value that looks like a tag stays text */
	assert_string_equal(render("{{a}}", "{a = '{{b}}', b = 'no'}"), "{{b}}");
}

static void test_filters(void **state)
{
	(void)state;
	assert_string_equal(render("{{a | cell}}", "{a = 'x|y\\nz'}"), "x\\|y<br>z");
	assert_string_equal(render("{{a | code}}", "{a = 'a`b'}"), "``a`b``");
	assert_string_equal(render("{{a | ms}} {{b | ms}}", "{a = 1.25, b = 3}"), "1.2 ms 3 ms");
	assert_string_equal(render("{{a | join}} {{a | join:\" / \"}}", "{a = {1, 2, 3}}"), "1, 2, 3 1 / 2 / 3");
	assert_string_equal(render("{{a | default:\"none\"}} {{b | default:\"-\" | upper}}", "{b = 'ok'}"), "none OK");
	assert_string_equal(render("{{a | pct}}", "{a = 12.5}"), "12.5%");
}

static void test_blocks(void **state)
{
	(void)state;
	assert_string_equal(render("{{#each xs}}[{{@index}}:{{.}}{{#if @last}}!{{/if}}]{{/each}}",
	                           "{xs = {'a', 'b'}}"),
	                    "[1:a][2:b!]");
	/* names resolve against the item first, then outwards */
	assert_string_equal(render("{{#each rows}}{{k}}={{v}}/{{title}};{{/each}}",
	                           "{title = 'T', rows = {{k = 1, v = 2}, {k = 3, v = 4}}}"),
	                    "1=2/T;3=4/T;");
	assert_string_equal(render("{{#if a}}yes{{else}}no{{/if}} {{#if e}}yes{{else}}no{{/if}} "
	                           "{{#if z}}yes{{else}}no{{/if}} {{#unless a}}u{{/unless}}",
	                           "{a = {1}, e = {}, z = 0}"),
	                    "yes no no ");
	/* standalone block lines vanish; inline ones keep their line */
	assert_string_equal(render("head\n{{#each xs}}\n- {{.}}\n{{/each}}\ntail\n", "{xs = {'a', 'b'}}"),
	                    "head\n- a\n- b\ntail\n");
	assert_string_equal(render("  {{! a comment line }}\nbody\n", "{}"), "body\n");
}

/* Standalone block lines vanish when nested too: the line after a removed tag line still
 * starts a line (they used to leave one blank line per nesting level). */
static void test_nested_standalone_blocks(void **state)
{
	const char *nested = "a\n{{#if x}}\n{{#if y}}\nY\n{{/if}}\n{{/if}}\nb";

	(void)state;
	assert_string_equal(render(nested, "{x = true, y = true}"), "a\nY\nb");
	assert_string_equal(render(nested, "{x = true}"), "a\nb");
	assert_string_equal(render(nested, "{}"), "a\nb");
	/* indented, each around if */
	assert_string_equal(render("a\n  {{#each xs}}\n    {{#if .}}\n    - {{.}}\n    {{/if}}\n  {{/each}}\nb\n",
	                           "{xs = {'p', 'q'}}"),
	                    "a\n    - p\n    - q\nb\n");
	/* else between nested blocks, a comment line before them, at the start of the text */
	assert_string_equal(render("{{! c }}\n{{#if x}}\n{{#if y}}\nY\n{{else}}\nN\n{{/if}}\n{{/if}}\nend\n",
	                           "{x = true}"),
	                    "N\nend\n");
	/* three levels, closing tags at the end of the text */
	assert_string_equal(render("{{#if a}}\n{{#if b}}\n{{#if c}}\nC\n{{/if}}\n{{/if}}\n{{/if}}",
	                           "{a = 1, b = 1, c = 1}"),
	                    "C\n");
	/* a tag sharing its line with text keeps the line */
	assert_string_equal(render("a\n{{#if x}}X{{/if}}\n{{#if x}}\nY\n{{/if}}\nb", "{x = 1}"),
	                    "a\nX\nY\nb");
}

static void test_errors_name_the_line(void **state)
{
	(void)state;
	assert_string_equal(render("line1\n{{#each xs}}\nno close\n", "{}"),
	                    "ERROR tpl:2: '{{#each}}' is never closed");
	assert_string_equal(render("a\nb {{x | bogus}}", "{}"), "ERROR tpl:2: unknown filter 'bogus'");
	assert_string_equal(render("{{/if}}", "{}"), "ERROR tpl:1: '{{/if}}' does not close an open block");
	assert_string_equal(render("x {{ a", "{}"), "ERROR tpl:1: unclosed '{{'");
	assert_string_equal(render("{{#loop xs}}{{/loop}}", "{}"), "ERROR tpl:1: unknown block '{{#loop xs}}' (each, if, unless)");
	assert_string_equal(render("{{else}}", "{}"), "ERROR tpl:1: '{{else}}' outside {{#if}}");
	assert_string_equal(render("{{ a b }}", "{}"), "ERROR tpl:1: 'a b' is not a path");
}

static void test_shipped_templates_compile(void **state)
{
	(void)state;
	assert_string_equal(test_lua_string(L,
		"local t = require 'nrb.template'\n"
		"local host = require 'nrb.core.host'\n"
		"for _, f in ipairs({'ticket.md', 'ticket.zh.md'}) do\n"
		"  local p = '" NRB_SOURCE_DATADIR "/reports/' .. f\n"
		"  t.compile(assert(host.read_file(p)), p)\n"
		"end\n"
		"return 'compiled'"),
		"compiled");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_and_paths),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_nested_standalone_blocks),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_shipped_templates_compile),
	};
	return cmocka_run_group_tests(tests, host_setup, host_teardown);
}
