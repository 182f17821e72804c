/*
 * embed: the Lua library (lua/nrb/...) compiled at build time and kept in the binary.
 *
 * Compiling the library's source is most of what a short nrb command costs (about 1.7 ms
 * for the five modules `nrb probe` needs), loading the same functions as bytecode about a
 * tenth of that.  The embedded chunks are a cache, not a second copy: the module searcher
 * still finds and reads the module's file under the data root, and uses the embedded
 * chunk only when that file is byte for byte the source it was compiled from (which is
 * kept next to it).  An edited file, or a data root holding another version, is compiled
 * from its text as before.  The chunk keeps its line information, and its source name is
 * set to the file it was found at, so error messages and tracebacks do not change.
 *
 * The build tool core/lua/embed_gen.c writes the table; core/lua/host.c reads it.
 */
#ifndef NRB_LUA_EMBED_H
#define NRB_LUA_EMBED_H

#include <stddef.h>
#include <string.h>

struct nrb_embedded_lua {
	const char *module;          /* "nrb.cli", "nrb.report" (for nrb/report/init.lua) */
	const char *source;          /* the file's bytes it was compiled from */
	size_t source_len;
	const unsigned char *chunk;  /* lua_dump output, debug information kept */
	size_t chunk_len;
	size_t name_off;             /* where the chunk's source name is encoded ... */
	size_t name_len;             /* ... and how many bytes it takes (size + text) */
};

/* The table, ended by an entry whose module is NULL (generated: lua_embedded.c). */
extern const struct nrb_embedded_lua nrb_embedded_lua[];

/* The source name the generator compiles with; the loader replaces it. */
#define NRB_EMBED_PLACEHOLDER "@nrb-embedded-chunk"

/*
 * Write PREFIX then TEXT as lua_dump encodes a string (the source name of a chunk): the
 * length + 1 in 7-bit groups, most significant first, the last group marked with 0x80,
 * then the bytes.  Returns the bytes written, 0 if they do not fit in cap.
 */
static inline size_t nrb_embed_encode_name(unsigned char *out, size_t cap, const char *prefix,
                                           const char *text)
{
	size_t plen = strlen(prefix), tlen = strlen(text), len = plen + tlen + 1, n = 0;
	unsigned char tmp[16];

	do {
		tmp[n++] = len & 0x7f;
		len >>= 7;
	} while (len);
	tmp[0] |= 0x80;
	if (n + plen + tlen > cap)
		return 0;
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	memcpy(out + n, prefix, plen);
	memcpy(out + n + plen, text, tlen);
	return n + plen + tlen;
}

#endif
