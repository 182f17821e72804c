/* runbook/yaml: libyaml events -> Lua tables with a positions side table (see yaml.h). */
#include "runbook/yaml.h"
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <lauxlib.h>

#define MAX_DEPTH 64

struct ystate {
	lua_State *L;
	yaml_parser_t parser;
	const char *name;    /* file name for messages */
	char *err;           /* message buffer */
	size_t errlen;       /* its size */
	int pos_idx;         /* stack index of the positions table */
};

__attribute__((format(printf, 3, 4)))
static int fail_at(struct ystate *y, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	nrb_err(y->err, y->errlen, EINVAL, "%s:%zu:%zu: %.400s", y->name, m->line + 1, m->column + 1, msg);
	return -EINVAL;
}

static int next_event(struct ystate *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->parser, ev)) {
		const char *prob = y->parser.problem ? y->parser.problem : "malformed YAML";
		char msg[200];

		if (y->parser.context)
			snprintf(msg, sizeof msg, "%.90s %.90s", prob, y->parser.context);
		else
			snprintf(msg, sizeof msg, "%.190s", prob);
		/* problem_mark points where libyaml gave up; it is the most useful place */
		return fail_at(y, &y->parser.problem_mark, "YAML syntax error: %s", msg);
	}
	return 0;
}

/* Push {line, col} for mark. */
static void push_mark(lua_State *L, const yaml_mark_t *m)
{
	lua_createtable(L, 2, 0);
	lua_pushinteger(L, (lua_Integer)m->line + 1);
	lua_rawseti(L, -2, 1);
	lua_pushinteger(L, (lua_Integer)m->column + 1);
	lua_rawseti(L, -2, 2);
}

/* Type a plain scalar per the YAML 1.2 core schema. */
static void push_plain(lua_State *L, const char *s, size_t len)
{
	if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0) {
		lua_pushnil(L);
		return;
	}
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
		lua_pushboolean(L, 1);
		return;
	}
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
		lua_pushboolean(L, 0);
		return;
	}
	/* numbers: only decimal/hex integers and plain decimal floats; "1.2.3" or "0x" stay strings */
	if (strspn(s, "0123456789+-.eExXabcdefABCDEF") == len &&
	    (s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9') || s[0] == '.')) {
		if (lua_stringtonumber(L, s) == len + 1)
			return;
	}
	lua_pushlstring(L, s, len);
}

static int parse_node(struct ystate *y, yaml_event_t *ev, int depth);

/* Parse the rest of a mapping whose start event was ev. Pushes the table. */
static int parse_mapping(struct ystate *y, yaml_event_t *start, int depth)
{
	lua_State *L = y->L;
	int t, pt;

	lua_newtable(L);
	t = lua_gettop(L);
	lua_newtable(L); /* this table's positions */
	pt = t + 1;
	push_mark(L, &start->start_mark);
	lua_setfield(L, pt, "@");
	for (;;) {
		yaml_event_t kev, vev;
		char *key;

		if (next_event(y, &kev) < 0)
			return -EINVAL;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			break;
		}
		if (kev.type != YAML_SCALAR_EVENT) {
			int rc = fail_at(y, &kev.start_mark, "mapping keys must be plain names");
			yaml_event_delete(&kev);
			return rc;
		}
		if (kev.data.scalar.anchor) {
			int rc = fail_at(y, &kev.start_mark, "anchors are not supported in runbooks");
			yaml_event_delete(&kev);
			return rc;
		}
		key = strdup((const char *)kev.data.scalar.value);
		if (!key) {
			yaml_event_delete(&kev);
			return fail_at(y, &kev.start_mark, "out of memory");
		}
		/* positions hold every key seen, even one whose value was null */
		lua_getfield(L, pt, key);
		if (!lua_isnil(L, -1)) {
			int rc = fail_at(y, &kev.start_mark, "duplicate key '%s'", key);
			free(key);
			yaml_event_delete(&kev);
			return rc;
		}
		lua_pop(L, 1);
		yaml_event_delete(&kev);
		if (next_event(y, &vev) < 0) {
			free(key);
			return -EINVAL;
		}
		push_mark(L, &vev.start_mark);
		lua_setfield(L, pt, key);
		if (parse_node(y, &vev, depth + 1) < 0) {
			free(key);
			return -EINVAL;
		}
		lua_setfield(L, t, key);
		free(key);
	}
	/* positions[t] = pt */
	lua_pushvalue(L, t);
	lua_pushvalue(L, pt);
	lua_rawset(L, y->pos_idx);
	lua_pop(L, 1); /* pt */
	return 0;
}

static int parse_sequence(struct ystate *y, yaml_event_t *start, int depth)
{
	lua_State *L = y->L;
	lua_Integer i = 0;
	int t, pt;

	lua_newtable(L);
	t = lua_gettop(L);
	lua_newtable(L);
	pt = t + 1;
	push_mark(L, &start->start_mark);
	lua_setfield(L, pt, "@");
	for (;;) {
		yaml_event_t ev;

		if (next_event(y, &ev) < 0)
			return -EINVAL;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (i >= 100000) {
			int rc = fail_at(y, &ev.start_mark, "sequence longer than 100000 items");
			yaml_event_delete(&ev);
			return rc;
		}
		i++;
		yaml_mark_t at = ev.start_mark;
		push_mark(L, &at);
		lua_rawseti(L, pt, i);
		if (parse_node(y, &ev, depth + 1) < 0)
			return -EINVAL;
		if (lua_isnil(L, -1)) /* would leave a hole in the array */
			return fail_at(y, &at, "empty item in a list");
		lua_rawseti(L, t, i);
	}
	lua_pushvalue(L, t);
	lua_pushvalue(L, pt);
	lua_rawset(L, y->pos_idx);
	lua_pop(L, 1);
	return 0;
}

/* Parse the node that starts with ev (consumed here). Pushes one value. */
static int parse_node(struct ystate *y, yaml_event_t *ev, int depth)
{
	int rc = 0;

	luaL_checkstack(y->L, 8, "YAML nesting");
	if (depth > MAX_DEPTH) {
		rc = fail_at(y, &ev->start_mark, "nesting deeper than 64 levels");
		yaml_event_delete(ev);
		return rc;
	}
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		rc = fail_at(y, &ev->start_mark, "aliases (*name) are not supported in runbooks");
		break;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor) {
			rc = fail_at(y, &ev->start_mark, "anchors (&name) are not supported in runbooks");
		} else if (ev->data.scalar.tag && !ev->data.scalar.plain_implicit &&
		           !ev->data.scalar.quoted_implicit) {
			rc = fail_at(y, &ev->start_mark, "tag '%s' is not supported", (const char *)ev->data.scalar.tag);
		} else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			push_plain(y->L, (const char *)ev->data.scalar.value, ev->data.scalar.length);
		} else {
			lua_pushlstring(y->L, (const char *)ev->data.scalar.value, ev->data.scalar.length);
		}
		break;
	case YAML_MAPPING_START_EVENT:
		if (ev->data.mapping_start.anchor || (ev->data.mapping_start.tag && !ev->data.mapping_start.implicit))
			rc = fail_at(y, &ev->start_mark, "anchors and tags are not supported in runbooks");
		else
			rc = parse_mapping(y, ev, depth);
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (ev->data.sequence_start.anchor || (ev->data.sequence_start.tag && !ev->data.sequence_start.implicit))
			rc = fail_at(y, &ev->start_mark, "anchors and tags are not supported in runbooks");
		else
			rc = parse_sequence(y, ev, depth);
		break;
	default:
		rc = fail_at(y, &ev->start_mark, "unexpected YAML structure");
		break;
	}
	yaml_event_delete(ev);
	return rc;
}

/* The whole stream: exactly one document.  Runs under lua_pcall (via parse_protected),
 * so a memory error inside Lua cannot leak the libyaml parser. */
static int parse_stream(struct ystate *y)
{
	yaml_event_t ev;
	int rc;

	if (next_event(y, &ev) < 0)
		return -EINVAL;
	if (ev.type != YAML_STREAM_START_EVENT) {
		yaml_event_delete(&ev);
		return fail_at(y, &ev.start_mark, "not a YAML stream");
	}
	yaml_event_delete(&ev);
	if (next_event(y, &ev) < 0)
		return -EINVAL;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return fail_at(y, &ev.start_mark, "the file is empty");
	}
	yaml_event_delete(&ev); /* DOCUMENT_START */
	if (next_event(y, &ev) < 0)
		return -EINVAL;
	rc = parse_node(y, &ev, 0);
	if (rc < 0)
		return rc;
	if (next_event(y, &ev) < 0)
		return -EINVAL;
	yaml_event_delete(&ev); /* DOCUMENT_END */
	if (next_event(y, &ev) < 0)
		return -EINVAL;
	if (ev.type != YAML_STREAM_END_EVENT) {
		rc = fail_at(y, &ev.start_mark, "only one YAML document per runbook (found a second '---')");
		yaml_event_delete(&ev);
		return rc;
	}
	yaml_event_delete(&ev);
	return 0;
}

static int parse_protected(lua_State *L)
{
	struct ystate *y = lua_touserdata(L, 1);
	int rc;

	lua_settop(L, 0);
	lua_newtable(L); /* positions */
	y->pos_idx = 1;
	rc = parse_stream(y);
	if (rc < 0)
		return 0; /* no results: failure (message in y->err) */
	/* stack: positions, value -> return value, positions */
	lua_insert(L, 1);
	return 2;
}

int nrb_yaml_parse(lua_State *L, const char *name, const char *buf, size_t len,
                   char *err, size_t errlen)
{
	struct ystate y;
	int rc, top;

	if (!L || !name || !buf)
		return nrb_err(err, errlen, EINVAL, "yaml: no input");
	if (len > NRB_YAML_MAX_BYTES)
		return nrb_err(err, errlen, EFBIG, "%s: larger than %u bytes", name, NRB_YAML_MAX_BYTES);
	memset(&y, 0, sizeof y);
	if (!yaml_parser_initialize(&y.parser))
		return nrb_err(err, errlen, ENOMEM, "%s: cannot initialise the YAML parser", name);
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)buf, len);
	y.name = name;
	y.err = err;
	y.errlen = errlen;
	y.L = L;
	if (err && errlen)
		err[0] = '\0';
	top = lua_gettop(L);
	lua_pushcfunction(L, parse_protected);
	lua_pushlightuserdata(L, &y);
	rc = lua_pcall(L, 1, LUA_MULTRET, 0);
	yaml_parser_delete(&y.parser);
	if (rc != LUA_OK) {
		nrb_err(err, errlen, ENOMEM, "%s: %s", name, lua_tostring(L, -1));
		lua_settop(L, top);
		return -ENOMEM;
	}
	if (lua_gettop(L) - top != 2) {
		lua_settop(L, top);
		return -EINVAL;
	}
	return 0;
}
