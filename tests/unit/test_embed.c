/*
 * Unit tests for the Lua library compiled into the binary (core/lua/embed.h): the
 * embedded chunks are used only for a module file byte-identical to their source, carry
 * that file's path and line numbers, cover every module, and the build tool refuses a
 * module that does not compile, naming it.
 */
#include "nrb_test.h"
#include "lua/embed.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmproot[] = "/tmp/nrb-embed-XXXXXX";

static struct nrb_host *host_at(const char *root)
{
	static const char *roots[1];
	struct nrb_host_opts o = {roots, 1, test_dirs, 1, 0};
	struct nrb_host *x = NULL;
	char err[256];

	roots[0] = root;
	if (nrb_host_new(&o, &x, err, sizeof err) < 0)
		fail_msg("host: %s", err);
	return x;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Requiring library modules from the source tree loads every one of them from the
 * binary: the count of embedded loads grows by the number of modules loaded. */
static void test_source_tree_uses_embedded(void **state)
{
	struct nrb_host *x = host_at(NRB_SOURCE_DATADIR);
	lua_State *S = nrb_host_state(x);
	unsigned before = nrb_host_embedded_loads(x);

	(void)state;
	test_run_lua(S,
	             "local n = 0\n"
	             "local function count() n = 0; for k in pairs(package.loaded) do\n"
	             "  if k:match('^nrb%.') and not k:match('^nrb%.core%.') then n = n + 1 end end; return n end\n"
	             "local a = count()\n"
	             "require 'nrb.report'\n" /* nrb/report/init.lua */
	             "require 'nrb.probecli'\n"
	             "return count() - a",
	             1);
	lua_Integer loaded = lua_tointeger(S, -1);
	lua_pop(S, 1);
	assert_true(loaded >= 3);
	assert_int_equal(nrb_host_embedded_loads(x) - before, (unsigned)loaded);
	nrb_host_free(x);
}

/* An embedded function reports the file it was found at and the line it is defined on,
 * as the text would: checked against the file itself for every function of nrb.util. */
static void test_source_name_and_lines(void **state)
{
	char path[1024], code[2048];
	size_t len;
	char *text;
	int checked = 0;

	(void)state;
	snprintf(path, sizeof path, "%s/lua/nrb/util.lua", NRB_SOURCE_DATADIR);
	text = read_all(path, &len);
	snprintf(code, sizeof code,
	         "local m = require 'nrb.util'\n"
	         "local out = {}\n"
	         "for k, f in pairs(m) do if type(f) == 'function' then\n"
	         "  local i = debug.getinfo(f, 'S')\n"
	         "  assert(i.source == '@%s', 'source ' .. i.source)\n"
	         "  out[#out + 1] = k .. '=' .. i.linedefined end end\n"
	         "return table.concat(out, ' ')",
	         path);
	const char *pairs = test_lua_string(L, code);
	char *list = strdup(pairs), *save = NULL;

	assert_non_null(list);
	for (char *tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		int line = atoi(eq + 1), n = 1;
		const char *p = text;

		*eq = '\0';
		while (n < line && (p = strchr(p, '\n')) != NULL) {
			p++;
			n++;
		}
		assert_non_null(p);
		const char *end = strchr(p, '\n');
		char buf[512];

		snprintf(buf, sizeof buf, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
		/* "function M.name(" or "M.name = function" on that very line */
		if (!strstr(buf, "function") || !strstr(buf, tok))
			fail_msg("nrb.util.%s: line %d is '%s'", tok, line, buf);
		checked++;
	}
	assert_true(checked >= 3);
	free(list);
	free(text);
}

/* A data root with an edited module gets the edited module (compiled from its text);
 * a byte-identical copy of another module at that root still comes from the binary,
 * under the copy's path. */
static void test_edited_module_compiled_from_text(void **state)
{
	char dir[512], path[1024], src[1024];
	struct nrb_host *x;
	lua_State *S;
	size_t len;
	char *text;

	(void)state;
	assert_non_null(mkdtemp(tmproot));
	snprintf(dir, sizeof dir, "%s/lua", tmproot);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof dir, "%s/lua/nrb", tmproot);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof path, "%s/util.lua", dir);
	write_file(path, "return { marker = 42 }\n", 23);
	snprintf(src, sizeof src, "%s/lua/nrb/expr.lua", NRB_SOURCE_DATADIR);
	text = read_all(src, &len);
	snprintf(path, sizeof path, "%s/expr.lua", dir);
	write_file(path, text, len);
	free(text);

	x = host_at(tmproot);
	S = nrb_host_state(x);
	test_run_lua(S, "return require('nrb.util').marker", 1);
	assert_int_equal(lua_tointeger(S, -1), 42);
	lua_pop(S, 1);
	assert_int_equal(nrb_host_embedded_loads(x), 0);

	test_run_lua(S, "local e = require 'nrb.expr'\n"
	                "for _, f in pairs(e) do if type(f) == 'function' then\n"
	                "  return debug.getinfo(f, 'S').source end end", 1);
	char want[1100];

	snprintf(want, sizeof want, "@%s", path);
	assert_string_equal(lua_tostring(S, -1), want);
	lua_pop(S, 1);
	assert_int_equal(nrb_host_embedded_loads(x), 1);
	nrb_host_free(x);

	unlink(path);
	snprintf(path, sizeof path, "%s/util.lua", dir);
	unlink(path);
	rmdir(dir);
	snprintf(dir, sizeof dir, "%s/lua", tmproot);
	rmdir(dir);
	rmdir(tmproot);
}

static int count_lua(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char sub[1024];
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			n += count_lua(sub);
		else if (l > 4 && strcmp(de->d_name + l - 4, ".lua") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Every module of the source tree is in the table, each chunk with its name in range. */
static void test_table_covers_library(void **state)
{
	int n = 0;

	(void)state;
	for (const struct nrb_embedded_lua *e = nrb_embedded_lua; e->module; e++) {
		assert_true(e->name_off + e->name_len <= e->chunk_len);
		assert_true(e->source_len > 0);
		n++;
	}
	assert_int_equal(n, count_lua(NRB_SOURCE_DATADIR "/lua"));
}

/* The build tool stops on a module that does not compile, naming file and line. */
static void test_generator_refuses_bad_module(void **state)
{
	char dir[] = "/tmp/nrb-embedgen-XXXXXX", cmd[2048], path[1024], out[1024];
	size_t len;
	char *text;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/bad.lua", dir);
	write_file(path, "local x = 1\nlocal y = = 2\n", 26);
	snprintf(out, sizeof out, "%s/out.txt", dir);
	snprintf(cmd, sizeof cmd, "'%s' '%s/gen.c' '%s' bad.lua >'%s' 2>&1", NRB_EMBED_TOOL, dir,
	         dir, out);
	rc = system(cmd);
	assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 1);
	text = read_all(out, &len);
	if (!strstr(text, "bad.lua") || !strstr(text, ":2:"))
		fail_msg("message: %s", text);
	free(text);
	snprintf(path, sizeof path, "%s/gen.c", dir);
	assert_int_equal(access(path, F_OK), -1); /* nothing half-written left as the output */
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_tree_uses_embedded),
		cmocka_unit_test(test_source_name_and_lines),
		cmocka_unit_test(test_edited_module_compiled_from_text),
		cmocka_unit_test(test_table_covers_library),
		cmocka_unit_test(test_generator_refuses_bad_module),
	};

	return cmocka_run_group_tests(tests, host_setup, host_teardown);
}
