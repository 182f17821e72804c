/*
 * nrb.core.json: JSON for reports, merge and diff, on json-c (Debian's libjson-c).
 *
 *   json.encode(value [, {pretty = true}]) -> string | raises on functions, cycles, NaN
 *   json.decode(text) -> value | nil, "offset N: message"
 *   json.array(t) -> t marked as an array (so an empty one encodes as [])
 *   json.object(t, {"k1", "k2"}) -> t, encoded with k1, k2 first (then the rest sorted)
 *   json.null       -> sentinel for JSON null (decode gives it back; encode writes null)
 *
 * Tables with keys exactly 1..n (n > 0) encode as arrays, other tables as objects with
 * keys sorted, so the same report always encodes to the same bytes.  Strings that are not
 * valid UTF-8 (bytes from the network) are repaired with U+FFFD rather than producing
 * invalid JSON.
 */
#include "lua/host.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json.h>
#include <lauxlib.h>

#define JSON_ARRAY_MT "nrb.json.array"
#define JSON_MAX_DEPTH 100

/* Sentinel whose address is JSON null. */
static const char json_null_tag = 0;

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static json_object *new_string(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	char *fixed, *o;
	json_object *j;

	while (i < len && (k = utf8_seq(u + i, len - i)) != 0)
		i += k;
	if (i == len)
		return json_object_new_string_len(s, (int)len);
	/* repair: each invalid byte becomes U+FFFD (3 bytes) */
	fixed = malloc(len * 3 + 1);
	if (!fixed)
		return NULL;
	for (i = 0, o = fixed; i < len;) {
		k = utf8_seq(u + i, len - i);
		if (k) {
			memcpy(o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	j = json_object_new_string_len(fixed, (int)(o - fixed));
	free(fixed);
	return j;
}

static int is_array(lua_State *L, int idx, lua_Integer *n)
{
	lua_Integer count = 0, max = 0;

	if (lua_getmetatable(L, idx)) {
		luaL_getmetatable(L, JSON_ARRAY_MT);
		int marked = lua_rawequal(L, -1, -2);
		lua_pop(L, 2);
		if (marked) {
			*n = (lua_Integer)lua_rawlen(L, idx);
			return 1;
		}
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
			lua_pop(L, 1);
			return 0;
		}
		count++;
		if (lua_tointeger(L, -1) > max)
			max = lua_tointeger(L, -1);
	}
	*n = count;
	return count > 0 && max == count;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Validation pass: everything that can make encode() fail is found here, before any
 * json-c object exists, so an error (which longjmps) never leaks a partial tree.
 */
static void check_value(lua_State *L, int idx, int depth)
{
	switch (lua_type(L, idx)) {
	case LUA_TNIL: case LUA_TBOOLEAN: case LUA_TSTRING:
		return;
	case LUA_TNUMBER:
		if (!lua_isinteger(L, idx) && !isfinite(lua_tonumber(L, idx)))
			luaL_error(L, "json.encode: %f is not a JSON number", lua_tonumber(L, idx));
		return;
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == &json_null_tag)
			return;
		break;
	case LUA_TTABLE:
		if (depth > JSON_MAX_DEPTH)
			luaL_error(L, "json.encode: nesting deeper than %d (a cycle?)", JSON_MAX_DEPTH);
		luaL_checkstack(L, 4, "json.encode");
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			int kt = lua_type(L, -2);
			if (kt != LUA_TSTRING && kt != LUA_TNUMBER)
				luaL_error(L, "json.encode: object key of type %s", lua_typename(L, kt));
			if (kt == LUA_TNUMBER && !lua_isinteger(L, -2))
				luaL_error(L, "json.encode: non-integer number as object key");
			check_value(L, lua_gettop(L), depth + 1);
			lua_pop(L, 1);
		}
		return;
	}
	luaL_error(L, "json.encode: cannot encode a %s", luaL_typename(L, idx));
}

static json_object *encode(lua_State *L, int idx, int depth);

static json_object *encode_table(lua_State *L, int idx, int depth)
{
	lua_Integer n;
	json_object *j;

	if (is_array(L, idx, &n)) {
		j = json_object_new_array_ext((int)n);
		for (lua_Integer i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, i);
			json_object_array_add(j, encode(L, lua_gettop(L), depth + 1));
			lua_pop(L, 1);
		}
		return j;
	}
	/* object: collect string keys, sort, emit */
	size_t nk = 0, cap = 16, ordered;
	const char **keys = malloc(cap * sizeof *keys);
	lua_newtable(L); /* keeps the converted key strings alive */
	int keep = lua_gettop(L);
	lua_pushnil(L);
	while (keys && lua_next(L, idx)) {
		lua_pop(L, 1);
		/* keys were checked: strings, or integers converted on a copy */
		lua_pushvalue(L, -1);
		lua_tolstring(L, -1, NULL);
		if (nk == cap) {
			const char **nkeys = realloc(keys, (cap *= 2) * sizeof *keys);
			if (!nkeys) {
				free(keys);
				keys = NULL;
				lua_pop(L, 2);
				break;
			}
			keys = nkeys;
		}
		keys[nk++] = lua_tostring(L, -1);
		lua_rawseti(L, keep, (lua_Integer)nk);
	}
	if (!keys) {
		lua_pop(L, 1);
		return NULL; /* out of memory: encoded as null rather than longjmp with a tree */
	}
	qsort(keys, nk, sizeof *keys, cmp_keys);
	/* keys named by the table's __jsonorder list (json.object(t, order)) go first */
	ordered = 0;
	if (lua_getmetatable(L, idx)) {
		if (lua_getfield(L, -1, "__jsonorder") == LUA_TTABLE) {
			lua_Integer no = (lua_Integer)lua_rawlen(L, -1);
			for (lua_Integer oi = 1; oi <= no && ordered < nk; oi++) {
				const char *ok;
				lua_rawgeti(L, -1, oi);
				ok = lua_tostring(L, -1);
				for (size_t i = ordered; ok && i < nk; i++) {
					if (strcmp(keys[i], ok) == 0) {
						const char *tmp = keys[i];
						memmove(&keys[ordered + 1], &keys[ordered], (i - ordered) * sizeof *keys);
						keys[ordered++] = tmp;
						break;
					}
				}
				lua_pop(L, 1);
			}
			qsort(keys + ordered, nk - ordered, sizeof *keys, cmp_keys);
		}
		lua_pop(L, 2);
	}
	j = json_object_new_object();
	for (size_t i = 0; i < nk; i++) {
		lua_pushstring(L, keys[i]);
		if (lua_rawget(L, idx) == LUA_TNIL) {
			/* the key was a number: look it up as one */
			lua_pop(L, 1);
			lua_pushstring(L, keys[i]);
			lua_stringtonumber(L, keys[i]);
			lua_remove(L, -2);
			lua_rawget(L, idx);
		}
		json_object_object_add(j, keys[i], encode(L, lua_gettop(L), depth + 1));
		lua_pop(L, 1);
	}
	free(keys);
	lua_pop(L, 1); /* keep */
	return j;
}

static json_object *encode(lua_State *L, int idx, int depth)
{
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return NULL;
	case LUA_TBOOLEAN:
		return json_object_new_boolean(lua_toboolean(L, idx));
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			return json_object_new_int64(lua_tointeger(L, idx));
		else {
			double d = lua_tonumber(L, idx);
			char buf[32];
			snprintf(buf, sizeof buf, "%.15g", d);
			if (!strpbrk(buf, ".eEn"))
				strcat(buf, ".0");
			return json_object_new_double_s(d, buf);
		}
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, idx, &len);
		return new_string(s, len);
	}
	case LUA_TTABLE:
		return encode_table(L, idx, depth);
	default: /* json.null; anything else was refused by check_value() */
		return NULL;
	}
}

static int l_json_encode(lua_State *L)
{
	json_object *root;
	int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

	luaL_checkany(L, 1);
	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "pretty");
		if (lua_toboolean(L, -1))
			flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			        JSON_C_TO_STRING_NOSLASHESCAPE;
		lua_pop(L, 1);
	}
	lua_settop(L, 1);
	check_value(L, 1, 0);
	root = encode(L, 1, 0);
	lua_pushstring(L, json_object_to_json_string_ext(root, flags));
	json_object_put(root);
	return 1;
}

static void push_json(lua_State *L, json_object *j, int depth)
{
	luaL_checkstack(L, 4, "json.decode: too deep");
	switch (json_object_get_type(j)) {
	case json_type_null:
		lua_pushlightuserdata(L, (void *)&json_null_tag);
		break;
	case json_type_boolean:
		lua_pushboolean(L, json_object_get_boolean(j));
		break;
	case json_type_int:
		lua_pushinteger(L, (lua_Integer)json_object_get_int64(j));
		break;
	case json_type_double:
		lua_pushnumber(L, json_object_get_double(j));
		break;
	case json_type_string:
		lua_pushlstring(L, json_object_get_string(j), (size_t)json_object_get_string_len(j));
		break;
	case json_type_array: {
		size_t n = json_object_array_length(j);
		lua_createtable(L, (int)n, 0);
		for (size_t i = 0; i < n; i++) {
			push_json(L, json_object_array_get_idx(j, i), depth + 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		luaL_setmetatable(L, JSON_ARRAY_MT);
		break;
	}
	case json_type_object: {
		lua_newtable(L);
		json_object_object_foreach(j, key, val) {
			push_json(L, val, depth + 1);
			lua_setfield(L, -2, key);
		}
		break;
	}
	}
}

static int l_json_decode(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	json_object *j;
	enum json_tokener_error e;

	if (!tok)
		return luaL_error(L, "json.decode: out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	j = json_tokener_parse_ex(tok, s, (int)len);
	e = json_tokener_get_error(tok);
	if (e == json_tokener_continue)
		e = json_tokener_error_parse_eof;
	if (e != json_tokener_success || (size_t)json_tokener_get_parse_end(tok) != len) {
		size_t off = json_tokener_get_parse_end(tok);
		json_object_put(j);
		json_tokener_free(tok);
		luaL_pushfail(L);
		if (e == json_tokener_success)
			lua_pushfstring(L, "offset %d: trailing data after the JSON value", (int)off);
		else
			lua_pushfstring(L, "offset %d: %s", (int)off, json_tokener_error_desc(e));
		return 2;
	}
	json_tokener_free(tok);
	push_json(L, j, 0);
	json_object_put(j);
	return 1;
}

/* object(t, order) -> t, encoded with the keys in order first (then the rest sorted) */
static int l_json_object(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	lua_createtable(L, 0, 1);
	lua_pushvalue(L, 2);
	lua_setfield(L, -2, "__jsonorder");
	lua_setmetatable(L, 1);
	lua_settop(L, 1);
	return 1;
}

static int l_json_array(lua_State *L)
{
	if (lua_isnoneornil(L, 1))
		lua_newtable(L);
	else
		luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	luaL_setmetatable(L, JSON_ARRAY_MT);
	return 1;
}

/* is_array(t) -> boolean: was t marked by json.array() or decoded from a JSON array */
static int l_json_is_array(lua_State *L)
{
	int r = 0;

	if (lua_istable(L, 1) && lua_getmetatable(L, 1)) {
		luaL_getmetatable(L, JSON_ARRAY_MT);
		r = lua_rawequal(L, -1, -2);
	}
	lua_pushboolean(L, r);
	return 1;
}

int luaopen_nrb_core_json(lua_State *L)
{
	static const luaL_Reg funcs[] = {
		{"encode", l_json_encode},
		{"decode", l_json_decode},
		{"array", l_json_array},
		{"object", l_json_object},
		{"is_array", l_json_is_array},
		{NULL, NULL},
	};

	luaL_newmetatable(L, JSON_ARRAY_MT);
	lua_pushliteral(L, "nrb.json.array");
	lua_setfield(L, -2, "__name");
	lua_pop(L, 1);
	luaL_newlib(L, funcs);
	lua_pushlightuserdata(L, (void *)&json_null_tag);
	lua_setfield(L, -2, "null");
	return 1;
}
