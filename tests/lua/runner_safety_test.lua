-- Tests of what the runner does with whatever a runbook hands back: evidence JSON cannot
-- hold (nrb.sanitize), error objects of every type, and verdicts that break the report
-- contract.  Each case builds a small Lua runbook table, runs it and checks the report
-- (encoded to JSON and rendered to Markdown: both must always work).
local json = require "nrb.core.json"
local runbook = require "nrb.runbook"
local runner = require "nrb.runner"
local report = require "nrb.report"
local sanitize = require "nrb.sanitize"

local T = {}

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s:\n got: %s\nwant: %s", what, tostring(got), tostring(want)), 2)
  end
end

local function has(s, pat, what)
  if type(s) ~= "string" or not s:find(pat, 1, true) then
    error(string.format("%s: %q does not contain %q", what, tostring(s), pat), 2)
  end
end

-- Validate and run a Lua runbook table; the report must encode and render.
local function run(doc)
  doc.name = doc.name or "t"
  doc.summary = doc.summary or "test"
  local rb, errs = runbook.validate(doc, nil, "t.lua", "lua")
  if not rb then error(table.concat(errs, "\n"), 2) end
  local r = runner.run(rb, {}, {})
  local text = report.json(r)
  local back = assert(json.decode(text))
  assert(report.markdown(r, "en"))
  return r, back
end

local function ok_verdict() return { class = "OK", confidence = "low", summary = "x" } end

function T.cycles_are_cut_and_said()
  local ev = { name = "loop", list = { 1, 2 } }
  ev.self = ev
  ev.list[3] = ev.list
  local c, notes = sanitize.copy(ev)
  eq(c.self, "(cycle: refers back to evidence)", "self cycle")
  eq(c.list[3], "(cycle: refers back to evidence.list)", "list cycle")
  eq(c.list[2], 2, "list kept")
  eq(notes[1], "a cycle at evidence.list[3] cut (and 1 more)", "note")
  -- a table seen twice but not a cycle is copied, not cut
  local shared = { 1 }
  local c2, n2 = sanitize.copy({ a = shared, b = shared })
  eq(c2.b[1], 1, "shared copied")
  eq(#n2, 0, "no note for a shared table")
end

function T.values_json_cannot_hold()
  local c, notes = sanitize.copy({ fn = print, nan = 0 / 0, inf = 1 / 0, [true] = "b", [1.5] = "f",
    null = json.null, arr = json.array(), ok = "x", n = 1.25 })
  eq(c.fn, "(function)", "function")
  eq(c.nan, "NaN", "nan")
  eq(c.inf, "Infinity", "inf")
  eq(c["true"], "b", "boolean key")
  eq(c["1.5"], "f", "float key")
  eq(c.null, json.null, "json.null kept")
  eq(json.is_array(c.arr), true, "array mark kept")
  eq(c.ok .. c.n, "x1.25", "plain values kept")
  eq(#notes, 5, "one note per kind: " .. table.concat(notes, "; "))
  eq(json.encode(c):find('"arr":[]', 1, true) ~= nil, true, "encodes, empty array stays []")
end

function T.bounded_in_depth_and_size()
  local t = {}
  local cur = t
  for _ = 1, 1000 do cur.n = {}; cur = cur.n end
  local c, notes = sanitize.copy(t)
  local d = 0
  cur = c
  while type(cur) == "table" do cur = cur.n; d = d + 1 end
  eq(d, sanitize.MAX_DEPTH, "depth")
  has(notes[1], "nested deeper than 32 levels", "depth note")
  local saved = sanitize.MAX_ENTRIES
  sanitize.MAX_ENTRIES = 10
  local big = {}
  for i = 1, 50 do big[i] = i end
  local ok, cb, nb = pcall(sanitize.copy, { list = big })
  sanitize.MAX_ENTRIES = saved
  assert(ok, cb)
  eq(#cb.list, 10, "entries kept (the list itself counts as one)")
  eq(cb.list[10], "(41 more entries dropped)", "drop marked")
  has(nb[1], "the rest dropped", "size note")
  -- nrb's own step kinds: no size limit (a capture's connections are not cut)
  sanitize.MAX_ENTRIES = 10
  local ok2, cf, nf = pcall(sanitize.copy, { list = big }, "evidence", { entries = math.huge, bytes = math.huge })
  sanitize.MAX_ENTRIES = saved
  assert(ok2, cf)
  eq(#cf.list, 50, "all kept")
  eq(#nf, 0, "no note")
end

function T.unrenderable_evidence_still_gives_a_report()
  local r, back = run({
    steps = {
      { id = "cycle", run = function() local e = {}; e.e = e; return e end },
      { id = "odd", run = function() return { f = print, [{}] = 1, x = 0 / 0 } end },
      { id = "garbage_findings", run = function() return {}, "ok", { "text", { severity = 1, text = print } } end },
      { id = "after", run = function() return { ran = true } end },
    },
    verdict = ok_verdict,
  })
  eq(back.steps[1].evidence.e, "(cycle: refers back to evidence)", "cycle in JSON")
  has(back.steps[1].findings[1].text, "evidence altered so that the report can hold it: a cycle at evidence.e cut",
    "finding says so")
  eq(back.steps[2].evidence.f, "(function)", "function in JSON")
  eq(back.steps[3].findings[1].text, "text", "bare string finding")
  eq(back.steps[3].findings[2].severity, "info", "bad severity")
  eq(back.steps[3].findings[2].text, "(function)", "bad text")
  eq(r.steps[4].status, "ok", "the run went on")
end

function T.error_objects()
  local boom = setmetatable({}, { __tostring = function() error("boom") end })
  local r = run({
    steps = {
      { id = "tostring_raises", run = function() error(boom) end },
      { id = "table", run = function() error({ code = 1 }) end },
      { id = "nil", run = function() error() end },
      { id = "when_raises", when = function() error(boom) end, run = function() return {} end },
      { id = "with_raises", with = function() error({ code = 2 }) end, run = function() return {} end },
    },
    verdict = ok_verdict,
  })
  for i = 1, 5 do eq(r.steps[i].status, "error", "step " .. i) end
  has(r.steps[1].error, "runner_safety_test.lua:", "position kept")
  has(r.steps[1].error, "error object (a table whose __tostring failed", "tostring raising")
  has(r.steps[2].error, "error object {code = 1}", "table described")
  eq(r.steps[2].error:match("^.*/(runner_safety_test%.lua:%d+:)") ~= nil, true, "table error has file:line")
  has(r.steps[3].error, "error with no message", "nil")
  has(r.steps[4].error, "in 'when': ", "when")
  has(r.steps[4].error, "__tostring failed", "when error object")
  has(r.steps[5].error, "error object {code = 2}", "with error object")
end

local function verdict_of(v, extra_rules)
  local doc = { steps = { { id = "s", run = function() return { x = 1 } end } } }
  if extra_rules then
    doc.verdict = extra_rules
  else
    doc.verdict = function() if type(v) == "function" then return v() end return v end
  end
  local r, back = run(doc)
  return r.verdict, back.verdict
end

function T.invalid_verdicts_are_refused_once()
  local v, j = verdict_of({ class = "BOGUS", confidence = "sure", hop = "three", summary = "s" })
  eq(v.class, "OK", "fallback class")
  eq(v.confidence, "low", "fallback confidence")
  eq(v.summary, "no verdict: the verdict function failed", "fallback summary")
  eq(#v.reasons, 1, "the failure once: " .. table.concat(v.reasons, " | "))
  has(v.reasons[1], "class 'BOGUS' is not one of the verdict classes", "class named")
  has(v.reasons[1], "confidence 'sure' is not high, medium or low", "confidence named")
  has(v.reasons[1], "hop 'three' is not a TTL", "hop named")
  eq(j.hop, json.null, "hop null in JSON")
  -- reasons as text, a missing summary
  v = verdict_of({ class = "ROUTING", reasons = "text", summary = "s" })
  has(v.reasons[1], "reasons is a string, not a list of text", "reasons text")
  v, j = verdict_of({ class = "ROUTING" })
  has(v.reasons[1], "summary is missing", "no summary")
  eq(type(j.summary), "string", "summary key always present")
  -- a verdict function that raises: its error once, not twice
  v = verdict_of(function() error("rules broke") end)
  eq(#v.reasons, 1, "raised once: " .. table.concat(v.reasons, " | "))
  has(v.reasons[1], "verdict function failed: ", "raised")
  has(v.reasons[1], "rules broke", "raised message")
  -- a valid one passes untouched, integer-valued floats made integers
  v, j = verdict_of({ class = "ROUTING", confidence = "high", hop = 3.0, summary = "s", reasons = { "r" },
    suggestions = { "do" }, server_view = { seen = true } })
  eq(v.class .. v.confidence .. math.type(v.hop) .. v.reasons[1], "ROUTINGhighintegerr", "valid verdict")
  eq(j.server_view.seen, true, "extra keys kept")
end

function T.invalid_rule_set_falls_back_to_the_next_rule()
  local rb = assert(runbook.validate({ name = "t", summary = "t",
    steps = { { id = "s", run = function() return {} end } },
    verdict = { { class = "SERVICE_DOWN", summary = "fallback rule" } } }, nil, "t.lua", "lua"))
  -- a `use:` rule as validation leaves it (the rule set's function in _fn), ahead of the default
  table.insert(rb.verdict, 1, { use = "fake_rules.bad", _fn = function() return { class = "NOPE", summary = "x" } end })
  local r = runner.run(rb, {}, {})
  eq(r.verdict.class, "SERVICE_DOWN", "next rule")
  eq(r.verdict.confidence, "low", "lowered")
  eq(#r.verdict.reasons, 1, "once")
  has(r.verdict.reasons[1], "rule set fake_rules.bad failed: returned an invalid verdict: class 'NOPE'", "said")
end

function T.yaml_rule_summary_expanding_to_nothing()
  local rb = assert(runbook.validate({ name = "t", summary = "t",
    steps = { { id = "s", run = function() return {} end } },
    verdict = { { class = "ROUTING", summary = "${steps.s.evidence.nothing}" } } }, nil, "t.lua", "lua"))
  local r = runner.run(rb, {}, {})
  eq(r.verdict.summary, "ROUTING (the rule's summary expanded to nothing)", "summary present")
  eq(r.verdict.confidence, "low", "lowered")
  has(r.verdict.reasons[1], "the summary of verdict rule 1 expanded to nothing", "said")
end

return T
