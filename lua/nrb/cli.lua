-- nrb.cli: the subcommands main.c hands over to Lua after parsing the command line.
-- Each returns the process exit status (DESIGN.md: 0 ran to a verdict, 1 bad runbook or
-- input, 2 usage, 3 environment; 130 when a run was interrupted).
local host = require "nrb.core.host"

-- The rest of the library loads on first use (lib.runbook is require "nrb.runbook"):
-- `nrb probe` needs none of the runbook machinery, and compiling it was most of a
-- one-shot probe's start-up (doc/performance.md).
local lib = setmetatable({}, { __index = function(t, name)
  local m = require("nrb." .. name)
  rawset(t, name, m)
  return m
end })

local M = {}

local function err(fmt, ...)
  host.write_stderr("nrb: " .. string.format(fmt, ...) .. "\n")
end

local function errors(list)
  for _, e in ipairs(list) do host.write_stderr(e .. "\n") end
end

-- The hop table of a "hops" progress snapshot, mtr -r's columns.
local function hop_lines(snap)
  -- at most 74 columns, so that no line wraps on an 80-column terminal (the redraw counts lines)
  local lines = { string.format("  round %3d/%-3d %-30s %6s %4s %7s %7s", snap.round or 0,
    snap.rounds or 0, "host", "Loss%", "Snt", "Last", "Avg") }
  for _, h in ipairs(snap.hops or {}) do
    lines[#lines + 1] = string.format("  %3d. %-39s %5.1f%% %4d %7s %7s", h.ttl,
      (h.address or "???"):sub(1, 39), h.loss_pct or 0, h.sent or 0,
      h.last_ms and string.format("%.1f", h.last_ms) or "-",
      h.avg_ms and string.format("%.1f", h.avg_ms) or "-")
  end
  return lines
end

-- Progress on stderr: one line per step, rewritten in place, and under a step that
-- reports partial results (per-hop statistics) its hop table, redrawn as it fills in and
-- cleared when the step ends.  write(text) writes to the terminal.
function M.progress_printer(write)
  local drawn = 0 -- table lines under the current step line
  local function clear_table()
    if drawn > 0 then
      write(string.format("\27[%dA\r\27[J", drawn))
      drawn = 0
    end
  end
  return function(event, rec, i, n)
    if event == "begin" then
      write(string.format("\27[2K\r[%d/%d] %s ...", i, n, rec.title))
    elseif event == "detail" and rec.kind == "hops" then
      local lines = hop_lines(rec.data)
      if drawn > 0 then
        write(string.format("\27[%dA\r\27[J", drawn - 1)) -- back to the table's first line
        write(table.concat(lines, "\n"))
      else
        write("\n" .. table.concat(lines, "\n"))
      end
      drawn = #lines
    elseif event == "end" then
      clear_table()
      write(string.format("\27[2K\r[%d/%d] %s: %s (%d ms)\n", i, n, rec.title,
        rec.status, rec.duration_ms or 0))
    end
  end
end

local function progress_printer()
  if not host.isatty(2) then return nil end
  return M.progress_printer(host.write_stderr)
end

-- nrb run
function M.run(o)
  local path, ferr = lib.runbook.find(o.runbook)
  if not path then err("%s", ferr); return 1 end
  local rb, errs = lib.runbook.load(path)
  if not rb then errors(errs); return 1 end

  local raw = {}
  for k, v in pairs(o.params or {}) do raw[k] = v end
  for _, k in ipairs({ "target", "port", "proto" }) do
    if o[k] ~= nil then
      if not rb.params[k] then
        err("runbook '%s' has no parameter '%s' (so --%s does not apply to it)", rb.name, k, k)
        return 1
      end
      if raw[k] ~= nil and raw[k] ~= o[k] then
        err("--%s and --param %s=... disagree", k, k)
        return 1
      end
      raw[k] = o[k]
    end
  end
  local values, perrs = lib.params.resolve(rb.params, raw)
  if not values then
    for _, e in ipairs(perrs) do err("%s", e) end
    return 1
  end

  lib.sandbox.reset()
  local rep = lib.runner.run(rb, values, { label = o.label,
                                       progress = not o.quiet and progress_printer() or nil })

  local main_text, rerr
  if o.format == "json" then
    main_text = lib.report.json(rep)
  else
    main_text, rerr = lib.report.markdown(rep, o.lang)
    if not main_text then err("cannot render the report: %s", rerr); return 1 end
  end
  if o.json then
    local ok, werr = host.write_file(o.json, lib.report.json(rep))
    if not ok then err("cannot write the JSON report: %s", werr); return 3 end
  end
  if o.output then
    local ok, werr = host.write_file(o.output, main_text)
    if not ok then err("cannot write the report: %s", werr); return 3 end
  else
    host.write_stdout(main_text)
  end
  if rep.interrupted then
    err("interrupted: partial report written")
    return 130
  end
  return 0
end

-- nrb check
function M.check(o)
  local path, ferr = lib.runbook.find(o.runbook)
  if not path then err("%s", ferr); return 1 end
  local rb, errs = lib.runbook.load(path)
  if not rb then errors(errs); return 1 end
  local np = 0
  for _ in pairs(rb.params) do np = np + 1 end
  host.write_stdout(string.format("%s: ok (%s runbook '%s': %d parameters, %d steps)\n",
    path, rb.syntax, rb.name, np, #rb.steps))
  return 0
end

-- nrb list
function M.list(o)
  local seen, rows = {}, {}
  for _, dir in ipairs(lib.runbook.dirs()) do
    for _, f in ipairs(host.list_dir(dir) or {}) do
      local base, ext = f:match("^(.-)%.(%w+)$")
      if base and (ext == "yaml" or ext == "yml" or ext == "lua") and not seen[base] then
        seen[base] = true
        local p = dir .. "/" .. f
        local rb = lib.runbook.load(p)
        rows[#rows + 1] = { name = base, summary = rb and rb.summary or "(invalid: run `nrb check " .. p .. "`)", path = p }
      end
    end
  end
  if #rows == 0 then
    host.write_stdout("no runbooks found (searched: " .. table.concat(lib.runbook.dirs(), ", ") .. ")\n")
    return 0
  end
  local w = 4
  for _, r in ipairs(rows) do w = math.max(w, #r.name) end
  for _, r in ipairs(rows) do
    host.write_stdout(string.format("%-" .. w .. "s  %s\n", r.name, r.summary))
    if o.verbose then host.write_stdout(string.format("%-" .. w .. "s  %s\n", "", r.path)) end
  end
  return 0
end

local function emit(o, text)
  if o.output then
    local ok, werr = host.write_file(o.output, text)
    if not ok then err("cannot write %s", werr); return 3 end
  else
    host.write_stdout(text)
  end
  return 0
end

local function load_reports(files)
  local reportfile = require "nrb.reportfile"
  local list = {}
  for _, f in ipairs(files) do
    local r, lerr = reportfile.load(f)
    if not r then err("%s", lerr); return nil end
    list[#list + 1] = r
  end
  return list
end

local function strip_files(t)
  for _, r in ipairs(t) do r._file = nil end
end

-- nrb merge
function M.merge(o)
  local merge = require "nrb.merge"
  local json = require "nrb.core.json"
  local list = load_reports(o.files)
  if not list then return 1 end
  local m, merr = merge.combine(list)
  if not m then err("%s", merr); return 1 end
  if o.format == "json" then
    local files = {}
    for i, r in ipairs(list) do files[i] = r._file end
    return emit(o, json.encode(json.object({ schema = "nrb.merge/1", target = m.target, verdict = m.verdict,
      vantages = m.vantages, notes = json.array(m.notes), reports = files },
      { "schema", "target", "verdict", "vantages", "notes", "reports" }), { pretty = true }) .. "\n")
  end
  local text = merge.markdown(m)
  strip_files(list)
  return emit(o, text)
end

-- nrb diff
function M.diff(o)
  local diff = require "nrb.diff"
  local json = require "nrb.core.json"
  local list = load_reports(o.files)
  if not list then return 1 end
  local d, derr = diff.compare(list[1], list[2])
  if not d then err("%s", derr); return 1 end
  if o.format == "json" then
    return emit(o, json.encode(json.object({ schema = "nrb.diff/1", target = d.target,
      before = { file = list[1]._file, started = list[1].started, verdict = list[1].verdict },
      after = { file = list[2]._file, started = list[2].started, verdict = list[2].verdict },
      fixed = d.fixed, regressed = d.regressed, changes = json.array(d.changes),
      unchanged = json.array(d.same), warnings = json.array(d.warnings) },
      { "schema", "target", "fixed", "regressed", "before", "after", "changes", "unchanged", "warnings" }),
      { pretty = true }) .. "\n")
  end
  return emit(o, diff.markdown(d))
end

-- nrb analyze
function M.analyze(o)
  local capture = require "nrb.core.capture"
  local json = require "nrb.core.json"
  local params = require "nrb.params"
  local opts = {}
  if o.target then
    if not params.is_address(o.target) then
      err("--target must be a numeric IPv4 or IPv6 address, not '%s'", o.target)
      return 1
    end
    opts.target = o.target
  end
  if o.port then
    local port, perr = params.coerce("port", { type = "port" }, o.port)
    if not port then err("%s", perr:gsub("parameter 'port'", "--port")); return 1 end
    opts.port = port
  end
  local r, aerr = capture.analyze_file(o.files[1], opts)
  if not r then err("%s", aerr); return 1 end
  if o.format == "json" then
    r.schema = "nrb.capture/1"
    return emit(o, json.encode(json.object(r, { "schema", "file", "link", "truncated", "stats", "findings",
      "connections", "udp", "icmp" }), { pretty = true }) .. "\n")
  end
  return emit(o, require("nrb.report.capture").markdown(r, opts))
end

-- nrb probe
function M.probe(o)
  return require("nrb.probecli").main(o)
end

return M
