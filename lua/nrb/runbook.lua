-- nrb.runbook: find, load and validate runbooks into the one step model the runner uses.
--
-- A YAML runbook arrives as a table (core/runbook/yaml.c) with a positions side table;
-- a Lua runbook is a chunk run in the sandbox that returns a table of the same shape,
-- where `with`, `when`, `run` and `verdict` may also be functions.  Validation rejects
-- unknown keys and reports every problem as "FILE:LINE:COL: message" (Lua runbooks: the
-- positions of their table constructors come from nrb.luapos; "FILE: message" for a
-- table the source does not spell out, such as one a function builds).
local host = require "nrb.core.host"
local yaml = require "nrb.core.yaml"
local params = require "nrb.params"
local expr = require "nrb.expr"
local luapos = require "nrb.luapos"
local steps = require "nrb.steps"
local sandbox = require "nrb.sandbox"
local util = require "nrb.util"

local M = {}

M.VERDICT_CLASSES = {
  "OK", "DNS_FAILURE", "LOCAL_ROUTE", "LOCAL_FIREWALL", "ROUTING", "PATH_FIREWALL",
  "FORGED_RST", "SERVER_FIREWALL", "SERVICE_DOWN", "PMTU_BLACKHOLE", "ICMP_FILTERED",
}
M.CONFIDENCE = { "high", "medium", "low" }
M.SEVERITY = { "info", "warn", "error" }

local TOP_KEYS = { name = true, summary = true, description = true, params = true,
                   steps = true, verdict = true, version = true }
local STEP_KEYS = { id = true, title = true, uses = true, with = true, when = true,
                    run = true, findings = true, timeout_ms = true }
local FINDING_KEYS = { when = true, severity = true, text = true }
local RULE_KEYS = { when = true, use = true, class = true, hop = true, address = true, proto = true,
                    port = true, confidence = true, summary = true, reasons = true,
                    suggestions = true }

-- Search path for runbooks: --runbook-path / NRB_PATH folders, then each root's runbooks/.
function M.dirs()
  local d = {}
  for _, x in ipairs(host.runbook_dirs()) do d[#d + 1] = x end
  for _, r in ipairs(host.roots()) do d[#d + 1] = r .. "/runbooks" end
  return d
end

-- Resolve a runbook argument (name or path) to a file path, or nil, message.
function M.find(arg)
  if arg:find("/", 1, true) or arg:match("%.ya?ml$") or arg:match("%.lua$") then
    local k = host.kind(arg)
    if k == "file" then return arg end
    if k == "dir" then return nil, arg .. ": is a directory, not a runbook" end
    return nil, arg .. ": no such runbook file"
  end
  if not arg:match("^[%w_.-]+$") then
    return nil, string.format("'%s' is not a runbook name or path", arg)
  end
  for _, dir in ipairs(M.dirs()) do
    for _, ext in ipairs({ ".yaml", ".yml", ".lua" }) do
      local p = dir .. "/" .. arg .. ext
      if host.kind(p) == "file" then return p end
    end
  end
  return nil, string.format("runbook '%s' not found (searched: %s; see `nrb list`)",
    arg, table.concat(M.dirs(), ", "))
end

-- An error collector that knows the file and the positions side table.
local function collector(file, pos)
  local c = { list = {} }
  function c.add(tbl, key, msg)
    local p = pos and tbl and pos[tbl]
    local at = p and (key ~= nil and p[key] or p["@"]) or nil
    c.list[#c.list + 1] = util.where(file, at) .. ": " .. msg
  end
  return c
end

local function is_list(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

local function check_keys(c, tbl, allowed, what)
  for _, k in ipairs(util.sorted_keys(tbl)) do
    if not allowed[k] then
      local names = util.sorted_keys(allowed)
      c.add(tbl, k, string.format("unknown key '%s' in %s (expected one of: %s)",
        tostring(k), what, table.concat(names, ", ")))
    end
  end
end

-- Check a text field that may hold ${...} references.
local function check_text(c, tbl, key, what)
  local v = tbl[key]
  if type(v) == "string" then
    if expr.has_ref(v) then
      local _, err = expr.parse_template(v)
      if err then c.add(tbl, key, what .. ": " .. err) end
    end
  elseif v ~= nil and type(v) ~= "number" and type(v) ~= "boolean" and type(v) ~= "function" then
    c.add(tbl, key, what .. " must be text")
  end
end

local function check_when(c, tbl, what)
  local w = tbl.when
  if w == nil or type(w) == "function" then return end
  if type(w) ~= "string" and type(w) ~= "boolean" then
    c.add(tbl, "when", what .. ": 'when' must be an expression")
    return
  end
  local _, err = expr.compile(w)
  if err then c.add(tbl, "when", what .. ": " .. err) end
end

-- Resolve `uses: module.function` (a function in a Lua module on the runbook path).
local function module_function(uses)
  local mod, fname = uses:match("^(.+)%.([%a_][%w_]*)$")
  if not mod then return nil, "not of the form module.function" end
  local env = sandbox.new_env()
  local ok, m = pcall(env.require, mod)
  if not ok then return nil, tostring(m) end
  if type(m) ~= "table" or type(m[fname]) ~= "function" then
    return nil, string.format("module '%s' has no function '%s'", mod, fname)
  end
  return m[fname]
end

local function check_findings(c, st, what)
  local f = st.findings
  if f == nil then return end
  if not is_list(f) then
    c.add(st, "findings", what .. ": 'findings' must be a list")
    return
  end
  for i, fd in ipairs(f) do
    local fw = string.format("%s finding %d", what, i)
    if type(fd) ~= "table" then
      c.add(f, i, fw .. " must be a mapping with 'when' and 'text'")
    else
      check_keys(c, fd, FINDING_KEYS, fw)
      check_when(c, fd, fw)
      if fd.text == nil then c.add(fd, nil, fw .. " needs 'text'") end
      check_text(c, fd, "text", fw .. " text")
      if fd.severity ~= nil and not util.contains(M.SEVERITY, fd.severity) then
        c.add(fd, "severity", fw .. ": severity must be info, warn or error")
      end
    end
  end
end

local function check_step(c, st, i, ids)
  local what = string.format("step %d", i)
  if type(st) ~= "table" then
    c.add(nil, nil, what .. " must be a mapping")
    return
  end
  check_keys(c, st, STEP_KEYS, what)
  if type(st.id) ~= "string" or not st.id:match("^[%a_][%w_]*$") then
    c.add(st, st.id ~= nil and "id" or nil,
      what .. ": 'id' is required and must be an identifier (letters, digits, _)")
  else
    what = string.format("step '%s'", st.id)
    if ids[st.id] then c.add(st, "id", "duplicate step id '" .. st.id .. "'") end
    ids[st.id] = st.uses or true
  end
  if st.title ~= nil and type(st.title) ~= "string" then c.add(st, "title", what .. ": 'title' must be text") end
  if st.timeout_ms ~= nil and (math.type(st.timeout_ms) ~= "integer" or st.timeout_ms < 1 or st.timeout_ms > 3600000) then
    c.add(st, "timeout_ms", what .. ": 'timeout_ms' must be an integer 1..3600000")
  end
  check_when(c, st, what)
  check_findings(c, st, what)
  if st.run ~= nil then
    if type(st.run) ~= "function" then c.add(st, "run", what .. ": 'run' must be a Lua function") end
    if st.uses ~= nil then c.add(st, "uses", what .. ": give 'uses' or 'run', not both") end
    return
  end
  if type(st.uses) ~= "string" then
    c.add(st, st.uses ~= nil and "uses" or nil, what .. ": 'uses' is required (one of: " ..
      table.concat(steps.names(), ", ") .. ", or module.function)")
    return
  end
  local kind = steps.kinds[st.uses]
  if not kind then
    if st.uses:find(".", 1, true) then
      local fn, err = module_function(st.uses)
      if not fn then c.add(st, "uses", what .. ": " .. err) end
      st._fn = fn
    else
      c.add(st, "uses", string.format("%s: unknown probe '%s' (known: %s)", what, st.uses,
        table.concat(steps.names(), ", ")))
    end
  end
  local with = st.with
  if with == nil or type(with) == "function" then
    with = {}
  elseif type(with) ~= "table" or is_list(with) and #with > 0 then
    c.add(st, "with", what .. ": 'with' must be a mapping of argument names to values")
    return
  end
  if st.uses == "capture_stop" and type(with.capture) == "string" and not expr.has_ref(with.capture)
      and ids[with.capture] ~= "capture_start" then
    c.add(with, "capture", string.format("%s: 'capture' must name an earlier capture_start step, not '%s'",
      what, with.capture))
  end
  if st.uses == "fw_hits" and type(with.snapshot) == "string" and not expr.has_ref(with.snapshot)
      and ids[with.snapshot] ~= "fw_snapshot" then
    c.add(with, "snapshot", string.format("%s: 'snapshot' must name an earlier fw_snapshot step, not '%s'",
      what, with.snapshot))
  end
  if kind then
    for _, k in ipairs(util.sorted_keys(with)) do
      if not kind.args[k] then
        c.add(with, k, string.format("%s: '%s' takes no argument '%s' (it takes: %s)", what,
          st.uses, tostring(k), table.concat(util.sorted_keys(kind.args), ", ")))
      end
    end
    for _, name in ipairs(util.sorted_keys(kind.args)) do
      local spec, v = kind.args[name], with[name]
      if v == nil then
        if spec.required and type(st.with) ~= "function" then
          c.add(st, "with", string.format("%s: '%s' needs argument '%s'", what, st.uses, name))
        end
      elseif type(v) == "string" and expr.has_ref(v) then
        check_text(c, with, name, string.format("%s argument '%s'", what, name))
      else
        local _, err = params.coerce(name, spec, v)
        if err then c.add(with, name, string.format("%s: argument %s", what, err:gsub("^parameter ", ""))) end
      end
    end
  else
    for _, k in ipairs(util.sorted_keys(with)) do
      if type(with[k]) == "string" then check_text(c, with, k, what .. " argument '" .. k .. "'") end
    end
  end
end

local function check_rule(c, r, i, n)
  local what = string.format("verdict rule %d", i)
  if type(r) ~= "table" then
    c.add(nil, nil, what .. " must be a mapping")
    return
  end
  check_keys(c, r, RULE_KEYS, what)
  check_when(c, r, what)
  if r.use ~= nil then
    -- a Lua rule set decides: `use: nrb.rules.standard.verdict` (function(ctx) -> verdict or nil)
    for _, k in ipairs(util.sorted_keys(r)) do
      if k ~= "use" and k ~= "when" then
        c.add(r, k, string.format("%s: a rule with 'use' takes only 'when' (the rule set writes the verdict), not '%s'", what, k))
      end
    end
    if type(r.use) ~= "string" then
      c.add(r, "use", what .. ": 'use' must name a function, e.g. nrb.rules.standard.verdict")
    else
      local fn, err = module_function(r.use)
      if not fn then c.add(r, "use", what .. ": " .. err) else r._fn = fn end
    end
    return
  end
  if r.when == nil and r.use == nil and i < n then
    c.add(r, nil, what .. " has no 'when' but is not the last rule: the rules after it can never match")
  end
  if not util.contains(M.VERDICT_CLASSES, r.class) then
    c.add(r, r.class ~= nil and "class" or nil, string.format("%s: class '%s' is not one of %s",
      what, tostring(r.class), table.concat(M.VERDICT_CLASSES, ", ")))
  end
  if r.confidence ~= nil and not util.contains(M.CONFIDENCE, r.confidence) then
    c.add(r, "confidence", what .. ": confidence must be high, medium or low")
  end
  if r.summary == nil then c.add(r, nil, what .. " needs a 'summary'") end
  for _, k in ipairs({ "summary", "hop", "address", "proto", "port" }) do
    check_text(c, r, k, what .. " " .. k)
  end
  for _, k in ipairs({ "reasons", "suggestions" }) do
    local l = r[k]
    if l ~= nil then
      if not is_list(l) then
        c.add(r, k, string.format("%s: '%s' must be a list of text", what, k))
      else
        for j = 1, #l do check_text(c, l, j, string.format("%s %s %d", what, k, j)) end
      end
    end
  end
end

-- The params.NAME and steps.ID an expression names (also params["NAME"]): a list of
-- {kind, name}.  `x.params.y` (a field of something else) is not a reference.
local function references(src)
  local toks = luapos.tokenize(src)
  local out = {}
  if not toks then return out end
  for i, tk in ipairs(toks) do
    if tk.t == "name" and (tk.text == "params" or tk.text == "steps") then
      local prev, a, b, c = toks[i - 1], toks[i + 1], toks[i + 2], toks[i + 3]
      if not (prev and (prev.text == "." or prev.text == ":")) and a then
        if a.text == "." and b and b.t == "name" then
          out[#out + 1] = { kind = tk.text, name = b.text }
        elseif a.text == "[" and b and b.t == "string" and c and c.text == "]" then
          local ok, v = pcall(load("return " .. b.text, "=key", "t", {}))
          if ok and type(v) == "string" then out[#out + 1] = { kind = tk.text, name = v } end
        end
      end
    end
  end
  return out
end

-- Expressions of a value: a `when` is one; text holds one per ${...}.
local function expressions(v, is_when)
  if type(v) ~= "string" then return {} end
  if is_when then return { v } end
  local list = {}
  if expr.has_ref(v) then
    for _, p in ipairs(expr.parse_template(v) or {}) do
      if p.expr then list[#list + 1] = p.expr end
    end
  end
  return list
end

-- Check that the expressions in tbl[key] name declared parameters and steps that run
-- before (ids: the step ids allowed, id -> true; self_id: the step being checked).
local function check_refs(c, tbl, key, what, specs, ids, self_id, is_when)
  local seen = {}
  for _, src in ipairs(expressions(tbl[key], is_when)) do
    for _, r in ipairs(references(src)) do
      local tag = r.kind .. "." .. r.name
      if not seen[tag] then
        seen[tag] = true
        if r.kind == "params" and specs[r.name] == nil then
          c.add(tbl, key, string.format("%s: unknown parameter '%s' in '%s' (declared: %s)", what, r.name, src,
            #util.sorted_keys(specs) > 0 and table.concat(util.sorted_keys(specs), ", ") or "none"))
        elseif r.kind == "steps" and not ids[r.name] then
          local why = r.name == self_id and "is this step itself (its own evidence is `evidence`)"
            or ids.all[r.name] and "runs after this one" or "is not a step of this runbook"
          c.add(tbl, key, string.format("%s: 'steps.%s' in '%s' %s", what, r.name, src, why))
        end
      end
    end
  end
end

-- Static check of every expression of a YAML runbook: params.NAME declared, steps.ID an
-- earlier step (any step for verdict rules).
local function check_all_refs(c, doc, specs)
  local all = {}
  for _, st in ipairs(doc.steps) do if type(st) == "table" and type(st.id) == "string" then all[st.id] = true end end
  local earlier = { all = all }
  for i, st in ipairs(doc.steps) do
    if type(st) == "table" then
      local what = type(st.id) == "string" and string.format("step '%s'", st.id) or string.format("step %d", i)
      check_refs(c, st, "when", what .. " 'when'", specs, earlier, st.id, true)
      if type(st.with) == "table" then
        for _, k in ipairs(util.sorted_keys(st.with)) do
          check_refs(c, st.with, k, string.format("%s argument '%s'", what, tostring(k)), specs, earlier, st.id)
        end
      end
      if type(st.findings) == "table" then
        for j, f in ipairs(st.findings) do
          if type(f) == "table" then
            local fw = string.format("%s finding %d", what, j)
            check_refs(c, f, "when", fw .. " 'when'", specs, earlier, st.id, true)
            check_refs(c, f, "text", fw .. " text", specs, earlier, st.id)
          end
        end
      end
      if type(st.id) == "string" then earlier[st.id] = true end
    end
  end
  local every = { all = all }
  for id in pairs(all) do every[id] = true end
  for i, r in ipairs(type(doc.verdict) == "table" and doc.verdict or {}) do
    if type(r) == "table" then
      local what = string.format("verdict rule %d", i)
      check_refs(c, r, "when", what .. " 'when'", specs, every, nil, true)
      for _, k in ipairs({ "summary", "hop", "address", "proto", "port" }) do
        check_refs(c, r, k, what .. " " .. k, specs, every)
      end
      for _, k in ipairs({ "reasons", "suggestions" }) do
        if type(r[k]) == "table" then
          for j = 1, #r[k] do check_refs(c, r[k], j, string.format("%s %s %d", what, k, j), specs, every) end
        end
      end
    end
  end
end

-- Validate a runbook table; returns the model or nil, list of messages.
function M.validate(doc, pos, file, syntax)
  local c = collector(file, pos)
  if type(doc) ~= "table" then
    c.add(nil, nil, "a runbook must be a mapping with name, summary, params, steps and verdict")
    return nil, c.list
  end
  check_keys(c, doc, TOP_KEYS, "the runbook")
  if type(doc.name) ~= "string" or not doc.name:match("^[%w][%w_.-]*$") then
    c.add(doc, doc.name ~= nil and "name" or nil, "'name' is required (letters, digits, - _ .)")
  end
  if type(doc.summary) ~= "string" or doc.summary == "" then
    c.add(doc, doc.summary ~= nil and "summary" or nil, "'summary' is required: one line saying what the runbook finds out")
  end
  local specs = doc.params or {}
  if type(specs) ~= "table" or (is_list(specs) and #specs > 0) then
    c.add(doc, "params", "'params' must be a mapping of parameter names to specs")
    specs = {}
  end
  for _, name in ipairs(util.sorted_keys(specs)) do
    for _, e in ipairs(params.check_spec(name, specs[name])) do
      local t = type(specs[name]) == "table" and specs[name] or specs
      c.add(t, e.key or (t == specs and name or nil), e.msg)
    end
  end
  if not is_list(doc.steps) or #doc.steps == 0 then
    c.add(doc, doc.steps ~= nil and "steps" or nil, "'steps' is required: a list of steps")
  else
    local ids = {}
    for i, st in ipairs(doc.steps) do check_step(c, st, i, ids) end
  end
  if syntax == "yaml" and is_list(doc.steps) then check_all_refs(c, doc, specs) end
  local v = doc.verdict
  if type(v) == "function" then
    if syntax ~= "lua" then c.add(doc, "verdict", "'verdict' must be a list of rules") end
  elseif not is_list(v) or #v == 0 then
    c.add(doc, v ~= nil and "verdict" or nil, "'verdict' is required: a list of rules, the last one without 'when'")
  else
    for i, r in ipairs(v) do check_rule(c, r, i, #v) end
    if type(v[#v]) == "table" and (v[#v].when ~= nil or v[#v].use ~= nil) then
      c.add(v[#v], v[#v].when ~= nil and "when" or "use",
        "the last verdict rule must have no 'when' and no 'use': it is the default")
    end
  end
  if #c.list > 0 then
    -- report in file order: by line, then column
    local function key(m)
      local l, col = m:match("^.-:(%d+):(%d+): ")
      return tonumber(l) or 0, tonumber(col) or 0
    end
    table.sort(c.list, function(a, b)
      local la, ca = key(a)
      local lb, cb = key(b)
      if la ~= lb then return la < lb end
      if ca ~= cb then return ca < cb end
      return a < b
    end)
    return nil, c.list
  end
  return {
    name = doc.name, summary = doc.summary, description = doc.description,
    params = specs, steps = doc.steps, verdict = v, source = file, syntax = syntax,
    pos = pos,
  }
end

-- Turn a Lua load/runtime error into FILE:LINE:COL where possible: Lua gives
-- "file:LINE: message near 'tok'"; the column is where that token starts, found by
-- nrb.luapos with Lua's own parser (the token may occur several times on the line).
local function lua_error_position(file, msg, text)
  local f, line, rest = tostring(msg):match("^(.-):(%d+): (.*)$")
  if not f then return file .. ": " .. tostring(msg) end
  local col = 1
  local near = rest:match("near '(.-)'$") or (rest:match("near <eof>$") and "<eof>")
  text = text or host.read_file(f)
  if near and text then
    col = luapos.error_column(text, tonumber(line), near)
    if not col then
      -- not a token the tokenizer saw as Lua did (a string with escapes): its first
      -- occurrence on the line
      local n = 0
      for l in (text .. "\n"):gmatch("(.-)\n") do
        n = n + 1
        if n == tonumber(line) then col = l:find(near, 1, true) or 1; break end
      end
    end
  end
  return string.format("%s:%s:%d: %s", f, line, col or 1, rest)
end

-- Load a runbook file. Returns the model, or nil and a list of messages.
function M.load(path)
  sandbox.set_runbook_dir(path:match("^(.*)/[^/]*$") or ".")
  if path:match("%.lua$") then
    local text = host.read_file(path)
    local fn, err = host.load_lua(path, sandbox.new_env())
    if not fn then return nil, { lua_error_position(path, err, text) } end
    local ok, doc = pcall(fn)
    if not ok then return nil, { lua_error_position(path, doc, text) } end
    -- positions of the table constructors the chunk returned, as YAML has them
    local pok, pos = pcall(luapos.positions, text, doc)
    return M.validate(doc, pok and pos or nil, path, "lua")
  end
  local doc, pos = yaml.load(path)
  if doc == nil and type(pos) == "string" then return nil, { pos } end
  return M.validate(doc, pos, path, "yaml")
end

return M
