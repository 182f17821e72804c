-- nrb.runner: execute a validated runbook and build the report (schema nrb.report/1).
--
-- For each step, in order: evaluate `when` (false -> skipped), expand `with` (the
-- ${...} references see params and earlier steps), run the step kind or Lua function
-- under pcall with a deadline, then evaluate the step's `findings`.  A Lua error in a
-- step makes that step "error" (message with file:line, traceback on stderr) and the
-- run goes on; Ctrl-C/SIGTERM stops the run, marks the rest skipped and still produces
-- the report, marked interrupted.  Finally the verdict rules pick one verdict.
local host = require "nrb.core.host"
local json = require "nrb.core.json"
local expr = require "nrb.expr"
local params = require "nrb.params"
local steps = require "nrb.steps"
local util = require "nrb.util"

local M = {}

M.DEFAULT_STEP_TIMEOUT_MS = 120000

local function first_line(s)
  return (tostring(s):match("^[^\n]*"))
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

-- Evaluate a `when` (expression text, boolean or Lua function).
local function check_when(w, vars, ctx)
  if w == nil then return true, true end
  if type(w) == "function" then return pcall(w, ctx) end
  local fn, err = expr.compile(w)
  if not fn then return false, err end
  return expr.eval(fn, vars)
end

-- Build the step's argument table.
local function step_args(rb, st, kind, vars, ctx)
  local raw
  if type(st.with) == "function" then
    local ok, r = pcall(st.with, ctx)
    if not ok then return nil, first_line(r) end
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

local function traceback_handler(e)
  if type(e) == "table" then return e end
  return debug.traceback(tostring(e), 2)
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

  local ok, cond = check_when(st.when, vars, ctx)
  if not ok then
    return finish("error", string.format("%s: in 'when': %s", at(rb, st, "when"), first_line(cond)))
  end
  if not cond then
    rec.reason = "condition false: " .. (type(st.when) == "string" and st.when or "when()")
    return finish("skipped")
  end

  local kind = st.uses and steps.kinds[st.uses]
  local args, aerr = step_args(rb, st, kind, vars, ctx)
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
  host.set_deadline(st.timeout_ms or M.DEFAULT_STEP_TIMEOUT_MS)
  ctx.step_id = st.id
  local pok, ev, status, findings = xpcall(fn, traceback_handler, ctx, args)
  ctx.step_id = nil
  host.set_deadline(nil)
  if not pok then
    local msg = first_line(ev)
    if host.interrupted() and msg:match("interrupted$") then
      return finish("error", "interrupted by " .. host.interrupted())
    end
    host.write_stderr(string.format("nrb: step '%s' raised an error:\n%s\n", st.id, tostring(ev)))
    return finish("error", msg)
  end
  if ev ~= nil and type(ev) ~= "table" then
    return finish("error", string.format("step '%s' returned a %s, expected an evidence table", st.id, type(ev)))
  end
  rec.evidence = ev or {}
  for _, f in ipairs(findings or {}) do rec.findings[#rec.findings + 1] = f end
  if status ~= nil and status ~= "ok" and status ~= "failed" then
    return finish("error", string.format("step '%s' returned status '%s' (expected ok or failed)", st.id, tostring(status)))
  end
  -- the step's own declared findings
  if type(st.findings) == "table" then
    local fvars = setmetatable({ evidence = rec.evidence, step = rec }, { __index = vars })
    for _, f in ipairs(st.findings) do
      local fok, hit = check_when(f.when, fvars, ctx)
      if not fok then
        rec.findings[#rec.findings + 1] = { severity = "error",
          text = string.format("%s: finding condition failed: %s", at(rb, f, "when"), first_line(hit)) }
      elseif hit then
        local tok, text = expand(f.text, fvars)
        rec.findings[#rec.findings + 1] = { severity = f.severity or "info",
          text = tok and tostring(text) or ("(could not render finding: " .. tostring(text) .. ")") }
      end
    end
  end
  return finish(status or "ok")
end

local function null_if_nil(v)
  if v == nil then return json.null end
  return v
end

-- Pick the verdict. Returns the verdict table, suggestions, rule errors.
local function decide(rb, ctx, vars)
  local errors = {}
  if type(rb.verdict) == "function" then
    local ok, v = xpcall(rb.verdict, traceback_handler, ctx)
    if ok and type(v) == "table" then return v, v.suggestions or {}, errors end
    errors[#errors + 1] = "verdict function failed: " .. first_line(ok and "returned no table" or v)
    return { class = "OK", confidence = "low", summary = "no verdict: the verdict function failed",
             reasons = { errors[1] } }, {}, errors
  end
  for _, r in ipairs(rb.verdict) do
    local ok, hit = check_when(r.when, vars, ctx)
    if not ok then
      errors[#errors + 1] = string.format("%s: verdict rule failed: %s", at(rb, r, "when"), first_line(hit))
    elseif hit and r._fn then
      local fok, v = xpcall(r._fn, traceback_handler, ctx)
      if not fok then
        errors[#errors + 1] = string.format("%s: rule set %s failed: %s", at(rb, r, "use"), r.use, first_line(v))
      elseif type(v) == "table" then
        return v, json.array(v.suggestions or {}), errors
      end
    elseif hit then
      local v = { class = r.class, confidence = r.confidence or "medium" }
      for _, k in ipairs({ "summary", "hop", "address", "proto", "port" }) do
        local eok, val = expand(r[k], vars)
        if eok then v[k] = val else v[k] = "(" .. tostring(val) .. ")" end
      end
      if v.hop ~= nil then v.hop = math.tointeger(tonumber(v.hop)) end
      if v.port ~= nil then v.port = math.tointeger(tonumber(v.port)) end
      v.reasons = json.array()
      for _, text in ipairs(r.reasons or {}) do
        local eok, val = expand(text, vars)
        v.reasons[#v.reasons + 1] = eok and tostring(val) or ("(could not render reason: " .. tostring(val) .. ")")
      end
      local sugg = json.array()
      for _, text in ipairs(r.suggestions or {}) do
        local eok, val = expand(text, vars)
        if eok then sugg[#sugg + 1] = tostring(val) end
      end
      return v, sugg, errors
    end
  end
  -- unreachable for a validated YAML runbook (the last rule has no `when`)
  return { class = "OK", confidence = "low", summary = "no verdict rule matched", reasons = json.array() }, {}, errors
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
