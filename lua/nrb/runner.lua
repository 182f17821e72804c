-- nrb.runner: execute a validated runbook and build the report (schema nrb.report/1).
--
-- For each step, in order: evaluate `when` (false -> skipped), expand `with` (the
-- ${...} references see params and earlier steps), run the step kind or Lua function
-- under host.pcall_step (protected, with a time limit and Ctrl-C that a pcall inside the
-- step cannot swallow), keep a copy of its evidence the report can always hold
-- (nrb.sanitize), then evaluate the step's `findings`.  A Lua error in a step makes that
-- step "error" (message with file:line, traceback on stderr) and the run goes on;
-- Ctrl-C/SIGTERM stops the run, marks the rest skipped and still produces the report,
-- marked interrupted.  Finally the verdict rules pick one verdict; what a verdict
-- function returns is checked against the report contract (M.check_verdict).
local host = require "nrb.core.host"
local json = require "nrb.core.json"
local expr = require "nrb.expr"
local params = require "nrb.params"
local runbook = require "nrb.runbook"
local sanitize = require "nrb.sanitize"
local steps = require "nrb.steps"
local util = require "nrb.util"

local M = {}

M.DEFAULT_STEP_TIMEOUT_MS = 120000
-- A verdict function (a Lua runbook's `verdict`, or a `use:` rule set) gets this long.
M.VERDICT_TIMEOUT_MS = 60000

local function first_line(s)
  return (sanitize.error_text(s):match("^[^\n]*"))
end

-- Position text of a YAML node, for messages about expressions.
local function at(rb, tbl, key)
  local p = rb.pos and rb.pos[tbl]
  local mark = p and (key ~= nil and p[key] or p["@"])
  return util.where(rb.source, mark)
end

-- Expand a value that may contain ${...}; returns ok, value_or_message.
local function expand(v, vars)
  if type(v) ~= "string" or not expr.has_ref(v) then return true, v end
  local parts, err = expr.parse_template(v)
  if not parts then return false, err end
  return expr.expand(parts, vars)
end

-- Evaluate a `when` (expression text, boolean or Lua function).  A function runs under a
-- time limit of ms; a step's also stops on Ctrl-C, a verdict rule's (timed) does not: an
-- interrupted run still gets its verdict.
local function check_when(w, vars, ctx, ms, timed)
  if w == nil then return true, true end
  if type(w) == "function" then
    return (timed and host.pcall_timed or host.pcall_step)(ms or M.DEFAULT_STEP_TIMEOUT_MS, w, ctx)
  end
  local fn, err = expr.compile(w)
  if not fn then return false, err end
  return expr.eval(fn, vars)
end

-- Build the step's argument table.
local function step_args(rb, st, kind, vars, ctx, ms)
  local raw
  if type(st.with) == "function" then
    local ok, r = host.pcall_step(ms, st.with, ctx)
    if not ok then return nil, first_line(r) end
    if r ~= nil and type(r) ~= "table" then
      return nil, string.format("step '%s': 'with' returned a %s, expected a table of arguments", st.id, type(r))
    end
    raw = r or {}
  else
    raw = {}
    for k, v in pairs(st.with or {}) do
      local ok, val = expand(v, vars)
      if not ok then
        return nil, string.format("%s: argument '%s': %s", at(rb, st.with, k), k, val)
      end
      raw[k] = val
    end
  end
  if not kind then return raw end
  local args = {}
  for name, spec in pairs(kind.args) do
    local v = raw[name]
    if v == nil then v = spec.default end
    if v == nil then
      if spec.required then
        return nil, string.format("%s: argument '%s' is missing or empty", at(rb, st, "with"), name)
      end
    else
      local val, err = params.coerce(name, spec, v)
      if err then
        return nil, string.format("%s: argument %s", at(rb, st.with or st, name), err:gsub("^parameter ", ""))
      end
      args[name] = val
    end
  end
  for k in pairs(raw) do
    if not kind.args[k] then return nil, string.format("step '%s': unknown argument '%s'", st.id, k) end
  end
  return args
end

-- Findings a step returned: a list of {severity = info|warn|error, text = "..."}; a copy
-- in that shape is kept whatever came back (text made text, severity info by default).
local function take_findings(rec, findings)
  if findings == nil then return end
  if type(findings) ~= "table" then
    rec.findings[#rec.findings + 1] = { severity = "warn",
      text = string.format("the step returned findings as a %s, expected a list", type(findings)) }
    return
  end
  local list = sanitize.copy(findings, "findings")
  for i = 1, #list do
    local f = list[i]
    if type(f) ~= "table" or json.is_array(f) then f = { text = f } end
    if type(f.text) ~= "string" then f.text = expr.format(f.text) end
    if type(f.severity) ~= "string" then f.severity = "info" end
    rec.findings[#rec.findings + 1] = f
  end
end

-- Run one step. Returns the step record for the report.
local function run_step(rb, st, ctx, vars, opts)
  local rec = { id = st.id, title = st.title or st.id, status = "ok",
                evidence = {}, findings = json.array() }
  local t0 = host.now_ms()
  local function finish(status, err)
    rec.status = status
    rec.error = err
    rec.duration_ms = math.floor(host.now_ms() - t0 + 0.5)
    return rec
  end

  local ms = st.timeout_ms or M.DEFAULT_STEP_TIMEOUT_MS
  local ok, cond = check_when(st.when, vars, ctx, ms)
  if not ok then
    return finish("error", string.format("%s: in 'when': %s", at(rb, st, "when"), first_line(cond)))
  end
  if not cond then
    rec.reason = "condition false: " .. (type(st.when) == "string" and st.when or "when()")
    return finish("skipped")
  end

  local kind = st.uses and steps.kinds[st.uses]
  local args, aerr = step_args(rb, st, kind, vars, ctx, ms)
  if not args then return finish("error", aerr) end
  rec.args = args

  local fn
  if st.run then
    fn = function(c, _) return st.run(c) end
  elseif kind then
    fn = kind.run
  else
    fn = st._fn
  end
  if opts.progress then opts.progress("start", rec) end
  ctx.step_id = st.id
  -- protected, bounded in time and stopped by Ctrl-C; the hook keeps raising until the
  -- call has unwound, so a pcall inside the step cannot swallow the stop
  local pok, ev, status, findings = host.pcall_step(ms, fn, ctx, args)
  ctx.step_id = nil
  if not pok then
    local msg = first_line(ev)
    if host.interrupted() and msg:match("interrupted$") then
      return finish("error", "interrupted by " .. host.interrupted())
    end
    host.write_stderr(string.format("nrb: step '%s' raised an error:\n%s\n", st.id, ev))
    return finish("error", msg)
  end
  if ev ~= nil and type(ev) ~= "table" then
    return finish("error", string.format("step '%s' returned a %s, expected an evidence table", st.id, type(ev)))
  end
  -- keep a copy the report can always hold: no cycles, functions, NaN, odd keys; bounded
  -- in size too unless nrb's own step kind made it (a long capture's connections are
  -- evidence the rules read, not something to cut)
  local changes
  rec.evidence, changes = sanitize.copy(ev or {}, "evidence",
    kind and { entries = math.huge, bytes = math.huge } or nil)
  take_findings(rec, findings)
  if #changes > 0 then
    local shown = {}
    for i = 1, math.min(#changes, 5) do shown[i] = changes[i] end
    rec.findings[#rec.findings + 1] = { severity = "warn",
      text = "evidence altered so that the report can hold it: " .. table.concat(shown, "; ") ..
        (#changes > 5 and string.format("; and %d more kinds of change", #changes - 5) or "") }
  end
  if status ~= nil and status ~= "ok" and status ~= "failed" then
    return finish("error", string.format("step '%s' returned status '%s' (expected ok or failed)", st.id,
      type(status) == "string" and status or type(status)))
  end
  -- the step's own declared findings
  if type(st.findings) == "table" then
    local fvars = setmetatable({ evidence = rec.evidence, step = rec }, { __index = vars })
    for _, f in ipairs(st.findings) do
      local fok, hit = check_when(f.when, fvars, ctx, ms)
      if not fok then
        rec.findings[#rec.findings + 1] = { severity = "error",
          text = string.format("%s: finding condition failed: %s", at(rb, f, "when"), first_line(hit)) }
      elseif hit then
        local tok, text = expand(f.text, fvars)
        rec.findings[#rec.findings + 1] = { severity = f.severity or "info",
          text = tok and (type(text) == "table" and expr.format(text) or tostring(text)) or ("(could not render finding: " .. first_line(text) .. ")") }
      end
    end
  end
  return finish(status or "ok")
end

local function null_if_nil(v)
  if v == nil then return json.null end
  return v
end

-- A list of strings, or nil and why not.
local function string_list(l, what)
  if l == nil or l == json.null then return json.array() end
  if type(l) ~= "table" then return nil, string.format("%s is a %s, not a list of text", what, type(l)) end
  local out, n = json.array(), 0
  for k in next, l do
    n = n + 1
    if math.type(k) ~= "integer" then return nil, what .. " is not a list" end
  end
  if n ~= #l then return nil, what .. " is not a list (it has holes)" end
  for i = 1, #l do
    if type(l[i]) ~= "string" then
      return nil, string.format("%s item %d is a %s, not text", what, i, type(l[i]))
    end
    out[i] = l[i]
  end
  return out
end

-- Check a verdict a Lua function returned against the report contract (DESIGN.md):
-- class one of the verdict classes, confidence high|medium|low (default medium), hop an
-- integer TTL or nil, address/proto text, port 1-65535, summary text, reasons and
-- suggestions lists of text, i18n {LANG = {summary, reasons, suggestions}}.  Returns a
-- clean copy (other keys such as server_view kept, sanitized) and its suggestions, or
-- nil and every problem in one message.
function M.check_verdict(v)
  if type(v) ~= "table" then return nil, "returned a " .. type(v) .. ", not a verdict table" end
  local out, problems = {}, {}
  local function bad(fmt, ...) problems[#problems + 1] = string.format(fmt, ...) end
  local function shown(x)
    if type(x) == "string" then return "'" .. x:sub(1, 40) .. "'" end
    if type(x) == "number" then return tostring(x) end
    return "a " .. type(x)
  end
  if not util.contains(runbook.VERDICT_CLASSES, v.class) then
    bad("class %s is not one of the verdict classes", shown(v.class))
  end
  out.class = v.class
  if v.confidence == nil then
    out.confidence = "medium"
  elseif util.contains(runbook.CONFIDENCE, v.confidence) then
    out.confidence = v.confidence
  else
    bad("confidence %s is not high, medium or low", shown(v.confidence))
  end
  if type(v.summary) ~= "string" or v.summary == "" then
    bad("summary %s is not text", v.summary == nil and "is missing and" or shown(v.summary))
  end
  out.summary = v.summary
  if v.hop ~= nil and v.hop ~= json.null then
    local h = math.tointeger(v.hop)
    if not h or h < 0 or h > 255 then bad("hop %s is not a TTL (an integer 0-255) or nil", shown(v.hop)) end
    out.hop = h
  end
  if v.port ~= nil and v.port ~= json.null then
    local p = math.tointeger(v.port)
    if not p or p < 1 or p > 65535 then bad("port %s is not 1-65535 or nil", shown(v.port)) end
    out.port = p
  end
  for _, k in ipairs({ "address", "proto" }) do
    if v[k] ~= nil and v[k] ~= json.null and type(v[k]) ~= "string" then
      bad("%s %s is not text", k, shown(v[k]))
    end
    out[k] = v[k]
  end
  local lerr
  out.reasons, lerr = string_list(v.reasons, "reasons")
  if lerr then bad("%s", lerr) end
  local sugg
  sugg, lerr = string_list(v.suggestions, "suggestions")
  if lerr then bad("%s", lerr) end
  if v.i18n ~= nil then
    if type(v.i18n) ~= "table" then
      bad("i18n is a %s, not a table of languages", type(v.i18n))
    else
      out.i18n = {}
      for lang, t in next, v.i18n do
        if type(lang) ~= "string" or type(t) ~= "table" then
          bad("i18n[%s] is not {summary, reasons, suggestions}", shown(lang))
        else
          local tr = {}
          if t.summary ~= nil and type(t.summary) ~= "string" then bad("i18n.%s.summary is not text", lang) end
          tr.summary = t.summary
          if t.reasons ~= nil then
            tr.reasons, lerr = string_list(t.reasons, "i18n." .. lang .. ".reasons")
            if lerr then bad("%s", lerr) end
          end
          if t.suggestions ~= nil then
            tr.suggestions, lerr = string_list(t.suggestions, "i18n." .. lang .. ".suggestions")
            if lerr then bad("%s", lerr) end
          end
          out.i18n[lang] = tr
        end
      end
    end
  end
  if #problems > 0 then return nil, "returned an invalid verdict: " .. table.concat(problems, "; ") end
  -- anything else the rule set adds (server_view for nrb merge), made safe to encode
  local known = { class = true, confidence = true, summary = true, hop = true, port = true, address = true,
                  proto = true, reasons = true, suggestions = true, i18n = true }
  for k, x in next, v do
    if type(k) == "string" and not known[k] and type(x) ~= "function" then
      out[k] = sanitize.copy(x, "verdict." .. k)
    end
  end
  return out, sugg
end

-- Pick the verdict. Returns the verdict table, suggestions, rule errors.  A verdict
-- function that raises, times out or returns something the contract does not allow has
-- failed: its error is recorded once (in the returned errors, which become reasons) and
-- the next rule tries; when none is left the verdict is "no verdict" (class OK,
-- confidence low, saying so).
local function decide(rb, ctx, vars)
  local errors = {}
  local function call(fn)
    local ok, v = host.pcall_timed(M.VERDICT_TIMEOUT_MS, fn, ctx)
    if not ok then return nil, first_line(v) end
    if v == nil then return nil end
    return M.check_verdict(v)
  end
  if type(rb.verdict) == "function" then
    local v, sugg = call(rb.verdict)
    if v then return v, sugg, errors end
    errors[#errors + 1] = "verdict function failed: " .. (sugg or "returned no verdict")
    return { class = "OK", confidence = "low", summary = "no verdict: the verdict function failed",
             reasons = json.array() }, json.array(), errors
  end
  for i, r in ipairs(rb.verdict) do
    local ok, hit = check_when(r.when, vars, ctx, M.VERDICT_TIMEOUT_MS, true)
    if not ok then
      errors[#errors + 1] = string.format("%s: verdict rule failed: %s", at(rb, r, "when"), first_line(hit))
    elseif hit and r._fn then
      local v, sugg = call(r._fn)
      if v then return v, sugg, errors end
      if sugg then
        errors[#errors + 1] = string.format("%s: rule set %s failed: %s", at(rb, r, "use"), r.use, sugg)
      end
    elseif hit then
      local v = { class = r.class, confidence = r.confidence or "medium" }
      for _, k in ipairs({ "summary", "hop", "address", "proto", "port" }) do
        local eok, val = expand(r[k], vars)
        if eok then v[k] = val else v[k] = "(" .. first_line(val) .. ")" end
      end
      if v.hop ~= nil then v.hop = math.tointeger(tonumber(v.hop)) end
      if v.port ~= nil then v.port = math.tointeger(tonumber(v.port)) end
      for _, k in ipairs({ "address", "proto" }) do
        if v[k] ~= nil and type(v[k]) ~= "string" then v[k] = expr.format(v[k]) end
      end
      -- the contract requires a summary: one that expands to nothing is said so
      if v.summary == nil or v.summary == "" then
        errors[#errors + 1] = string.format("%s: the summary of verdict rule %d expanded to nothing",
          at(rb, r, "summary"), i)
        v.summary = string.format("%s (the rule's summary expanded to nothing)", r.class)
      elseif type(v.summary) ~= "string" then
        v.summary = expr.format(v.summary)
      end
      v.reasons = json.array()
      for _, text in ipairs(r.reasons or {}) do
        local eok, val = expand(text, vars)
        v.reasons[#v.reasons + 1] = eok and (type(val) == "string" and val or expr.format(val))
          or ("(could not render reason: " .. first_line(val) .. ")")
      end
      local sugg = json.array()
      for _, text in ipairs(r.suggestions or {}) do
        local eok, val = expand(text, vars)
        if eok then sugg[#sugg + 1] = type(val) == "string" and val or expr.format(val) end
      end
      return v, sugg, errors
    end
  end
  -- unreachable for a validated YAML runbook (the last rule has no `when`)
  return { class = "OK", confidence = "low", summary = "no verdict rule matched", reasons = json.array() }, json.array(), errors
end

-- The target as the report states it: from params target/port/proto, with the address
-- a resolve step found for it.
local function target_of(values, records)
  local t = { host = values.target, proto = values.proto or "tcp", port = values.port }
  if t.host and params.is_address(t.host) then t.address = t.host end
  for _, r in ipairs(records) do
    if not t.address and r.evidence and r.evidence.host == t.host and type(r.evidence.addresses) == "table" then
      t.address = r.evidence.addresses[1]
    end
  end
  t.host, t.address, t.port = null_if_nil(t.host), null_if_nil(t.address), null_if_nil(t.port)
  return t
end

-- Run a validated runbook with validated parameter values.
-- opts: label (vantage label), progress (function(event, rec, i, n) or nil; events
-- "begin", "end", and "detail" with rec = {id, kind, data}: a step's partial results, such
-- as kind "hops", data = {round, rounds, hops} from the per-hop statistics).
function M.run(rb, values, opts)
  opts = opts or {}
  local report = {
    schema = "nrb.report/1",
    tool = { name = "nrb", version = host.version },
    runbook = { name = rb.name, source = rb.source, summary = rb.summary },
    params = values,
    vantage = { hostname = host.hostname() or "unknown", addresses = json.array(host.addresses() or {}),
                label = null_if_nil(opts.label) },
    started = host.utc_now(),
    steps = json.array(),
    interrupted = false,
  }
  local ctx = { params = values, steps = {}, records = {} }
  if opts.progress then
    -- a step's partial results (e.g. the hop table filling in), for the display only
    ctx.progress = function(kind, data) opts.progress("detail", { id = ctx.step_id, kind = kind, data = data }) end
  end
  local vars = { params = values, steps = ctx.steps }
  local n = #rb.steps
  for i, st in ipairs(rb.steps) do
    local rec
    if host.interrupted() then
      rec = { id = st.id, title = st.title or st.id, status = "skipped", duration_ms = 0,
              evidence = {}, findings = json.array(),
              reason = "run interrupted by " .. host.interrupted() }
      report.interrupted = true
    else
      if opts.progress then opts.progress("begin", { id = st.id, title = st.title or st.id }, i, n) end
      rec = run_step(rb, st, ctx, vars, opts)
      if opts.progress then opts.progress("end", rec, i, n) end
      if host.interrupted() then report.interrupted = true end
    end
    rec.uses = st.uses
    report.steps[i] = rec
    ctx.steps[st.id] = rec
    ctx.records[i] = rec
  end
  -- nothing outlives the run: captures whose capture_stop did not run are stopped here
  local cok, cerr = pcall(steps.stop_captures, ctx)
  if not cok then host.write_stderr("nrb: stopping captures: " .. first_line(cerr) .. "\n") end
  local verdict, sugg, errors = decide(rb, ctx, vars)
  verdict.reasons = json.array(verdict.reasons or {})
  verdict.suggestions = nil -- they live in report.suggestions
  if #errors > 0 then
    verdict.confidence = "low"
    for _, e in ipairs(errors) do verdict.reasons[#verdict.reasons + 1] = e end
  end
  if report.interrupted then
    local done = 0
    for _, r in ipairs(report.steps) do if r.status ~= "skipped" or not r.reason then done = done + 1 end end
    verdict.confidence = "low"
    verdict.reasons[#verdict.reasons + 1] = string.format(
      "run interrupted by %s after %d of %d steps: this verdict rests on partial evidence",
      host.interrupted() or "a signal", done, n)
  end
  if verdict.proto == nil then verdict.proto = values.proto or (values.port and "tcp") end
  if verdict.port == nil then verdict.port = values.port end
  for _, k in ipairs({ "hop", "address", "proto", "port" }) do verdict[k] = null_if_nil(verdict[k]) end
  report.verdict = verdict
  report.suggestions = json.array(sugg or {})
  report.target = target_of(values, report.steps)
  report.finished = host.utc_now()
  json.object(report, { "schema", "tool", "runbook", "target", "vantage", "started",
                        "finished", "interrupted", "params", "steps", "verdict", "suggestions" })
  json.object(verdict, { "class", "hop", "address", "proto", "port", "confidence", "summary", "reasons" })
  for _, r in ipairs(report.steps) do
    json.object(r, { "id", "title", "uses", "status", "duration_ms", "error", "reason", "args", "evidence", "findings" })
  end
  return report
end

return M
