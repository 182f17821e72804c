/*
 * runbook/yaml: turn a YAML runbook into a Lua table — never into generated source.
 *
 * libyaml's event stream becomes nested Lua tables (mappings -> tables with string keys,
 * sequences -> arrays, plain scalars typed as null/boolean/integer/float/string by the
 * YAML 1.2 core schema, quoted scalars always strings).  Every node's position is kept
 * in a side table so the runner can say FILE:LINE:COL for a bad value:
 *
 *     positions[tbl] = { ["@"] = {line, col}, key_or_index = {line, col}, ... }
 *
 * where "@" is the node itself and each key/index is where that entry's VALUE starts
 * (1-based line and column).  Refused, with FILE:LINE:COL: aliases and anchors (a YAML
 * bomb vector and never needed in a runbook), custom tags, duplicate keys, non-scalar
 * keys, more than one document, nesting deeper than 64, documents over 1 MiB.
 */
#ifndef NRB_RUNBOOK_YAML_H
#define NRB_RUNBOOK_YAML_H

#include <stddef.h>
#include <lua.h>

/** Largest YAML document nrb_yaml_load() accepts, in bytes. */
#define NRB_YAML_MAX_BYTES (1u << 20)

/**
 * Parse buf (len bytes) named name (used in messages) into a Lua value.
 * Stack: [-0, +2, m]: pushes the document's value and the positions table on success;
 * pushes nothing on failure.
 * @return 0, or -EINVAL with err = "NAME:LINE:COL: message".
 */
int nrb_yaml_parse(lua_State *L, const char *name, const char *buf, size_t len,
                   char *err, size_t errlen);

#endif
