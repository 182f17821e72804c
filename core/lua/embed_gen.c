/*
 * embed_gen: a build tool, not part of nrb.  Compiles the Lua library's modules and writes
 * the C table core/lua/embed.h declares:
 *
 *   nrb_embed_lua OUT.c LUADIR nrb/cli.lua nrb/report/init.lua ...
 *
 * Each module is compiled with the source name NRB_EMBED_PLACEHOLDER and dumped with its
 * debug information; the tool records where that name sits in the dump, so the loader can
 * put the file's real path there.  A syntax error in a module fails the build, naming the
 * file and line.
 */
#include "lua/embed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lua.h>

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static int buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->n + n)
			cap *= 2;
		unsigned char *q = realloc(b->p, cap);
		if (!q)
			return -1;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return 0;
}

static int writer(lua_State *L, const void *p, size_t n, void *ud)
{
	(void)L;
	return buf_add(ud, p, n);
}

static int read_all(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	unsigned char tmp[8192];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		if (buf_add(b, tmp, n) < 0) {
			fclose(f);
			return -1;
		}
	n = ferror(f);
	fclose(f);
	return n ? -1 : 0;
}

/* "nrb/report/init.lua" -> "nrb.report", "nrb/cli.lua" -> "nrb.cli" */
static char *module_name(const char *rel)
{
	size_t n = strlen(rel);
	char *m;

	if (n > 9 && strcmp(rel + n - 9, "/init.lua") == 0)
		n -= 9;
	else if (n > 4 && strcmp(rel + n - 4, ".lua") == 0)
		n -= 4;
	else
		return NULL;
	m = strndup(rel, n);
	for (char *c = m; c && *c; c++)
		if (*c == '/')
			*c = '.';
	return m;
}

/* The placeholder as lua_dump encodes a string: its length + 1 (7-bit groups, most
 * significant first, the last one marked with 0x80), then the bytes. */
static size_t encode_name(unsigned char *out, const char *s)
{
	size_t len = strlen(s) + 1, n = 0;
	unsigned char tmp[16];

	do {
		tmp[n++] = len & 0x7f;
		len >>= 7;
	} while (len);
	tmp[0] |= 0x80;
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	memcpy(out + n, s, strlen(s));
	return n + strlen(s);
}

static void emit_bytes(FILE *o, const char *name, const unsigned char *p, size_t n)
{
	fprintf(o, "static const unsigned char %s[%zu] = {", name, n ? n : 1);
	for (size_t i = 0; i < n; i++)
		fprintf(o, "%s%u,", i % 24 ? "" : "\n\t", p[i]);
	if (!n)
		fputs("0", o);
	fputs("\n};\n", o);
}

/* One module into o; 0, or -1 after saying why on stderr. */
static int embed_one(lua_State *L, FILE *o, const char *luadir, const char *rel, int idx)
{
	unsigned char enc[256];
	size_t enc_len = encode_name(enc, NRB_EMBED_PLACEHOLDER);
	char path[4096], var[32];
	struct buf src = {0}, chunk = {0};
	char *mod = module_name(rel);
	size_t off;
	int rc = -1;

	snprintf(path, sizeof path, "%s/%s", luadir, rel);
	if (!mod) {
		fprintf(stderr, "nrb_embed_lua: %s: not a .lua file\n", rel);
		goto out;
	}
	if (read_all(path, &src) < 0) {
		fprintf(stderr, "nrb_embed_lua: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (luaL_loadbufferx(L, (const char *)src.p, src.n, NRB_EMBED_PLACEHOLDER, "t") != LUA_OK) {
		/* compile again under the file's name for a message that names it */
		char name[4100];

		lua_pop(L, 1);
		snprintf(name, sizeof name, "@%s", path);
		luaL_loadbufferx(L, (const char *)src.p, src.n, name, "t");
		fprintf(stderr, "nrb_embed_lua: %s\n", lua_tostring(L, -1));
		lua_pop(L, 1);
		goto out;
	}
	rc = lua_dump(L, writer, &chunk, 0);
	lua_pop(L, 1);
	if (rc != 0) {
		fprintf(stderr, "nrb_embed_lua: %s: dump failed\n", path);
		rc = -1;
		goto out;
	}
	rc = -1;
	/* the main function's source name is the first string of the dump */
	for (off = 0; off + enc_len <= chunk.n; off++)
		if (memcmp(chunk.p + off, enc, enc_len) == 0)
			break;
	if (off + enc_len > chunk.n) {
		fprintf(stderr, "nrb_embed_lua: %s: source name not found in the dump\n", path);
		goto out;
	}
	snprintf(var, sizeof var, "src%d", idx);
	emit_bytes(o, var, src.p, src.n);
	snprintf(var, sizeof var, "chunk%d", idx);
	emit_bytes(o, var, chunk.p, chunk.n);
	fprintf(o, "#define SRC%d_LEN %zu\n#define CHUNK%d_LEN %zu\n#define OFF%d %zu\n\n",
	        idx, src.n, idx, chunk.n, idx, off);
	rc = 0;
out:
	free(mod);
	free(src.p);
	free(chunk.p);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned char enc[256];
	size_t enc_len = encode_name(enc, NRB_EMBED_PLACEHOLDER);
	char tmp_path[4096];
	FILE *o;
	lua_State *L;
	int werr;

	if (argc < 3) {
		fprintf(stderr, "usage: nrb_embed_lua OUT.c LUADIR MODULE.lua...\n");
		return 2;
	}
	if ((size_t)snprintf(tmp_path, sizeof tmp_path, "%s.tmp", argv[1]) >= sizeof tmp_path)
		return 2;
	L = luaL_newstate();
	o = fopen(tmp_path, "w");
	if (!o || !L) {
		fprintf(stderr, "nrb_embed_lua: %s: %s\n", tmp_path, strerror(errno));
		if (o)
			fclose(o);
		if (L)
			lua_close(L);
		return 1;
	}
	fputs("/* Generated by core/lua/embed_gen.c from lua/; do not edit. */\n"
	      "#include \"lua/embed.h\"\n\n", o);
	for (int i = 3; i < argc; i++)
		if (embed_one(L, o, argv[2], argv[i], i - 3) < 0) {
			lua_close(L);
			fclose(o);
			remove(tmp_path);
			return 1;
		}
	fputs("\nconst struct nrb_embedded_lua nrb_embedded_lua[] = {\n", o);
	for (int i = 3; i < argc; i++) {
		char *m = module_name(argv[i]);

		fprintf(o, "\t{\"%s\", (const char *)src%d, SRC%d_LEN, chunk%d, CHUNK%d_LEN, "
		        "OFF%d, %zu},\n", m, i - 3, i - 3, i - 3, i - 3, i - 3, enc_len);
		free(m);
	}
	fputs("\t{0},\n};\n", o);
	lua_close(L);
	werr = ferror(o);
	if (fclose(o) != 0 || werr || rename(tmp_path, argv[1]) != 0) {
		fprintf(stderr, "nrb_embed_lua: %s: %s\n", argv[1], strerror(errno));
		remove(tmp_path);
		return 1;
	}
	return 0;
}
