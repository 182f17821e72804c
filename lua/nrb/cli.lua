-- nrb.cli: the subcommands main.c hands over to Lua after parsing the command line.
-- Each returns the process exit status (DESIGN.md: 0 ran to a verdict, 1 bad runbook or
-- input, 2 usage, 3 environment; 130 when a run was interrupted).
local host = require "nrb.core.host"
local runbook = require "nrb.runbook"
local params = require "nrb.params"
local runner = require "nrb.runner"
local report = require "nrb.report"
local sandbox = require "nrb.sandbox"

local M = {}

local function err(fmt, ...)
  host.write_stderr("nrb: " .. string.format(fmt, ...) .. "\n")
end

local function errors(list)
  for _, e in ipairs(list) do host.write_stderr(e .. "\n") end
end

-- Progress on stderr, only on a terminal: one line per step, rewritten in place.
local function progress_printer()
  if not host.isatty(2) then return nil end
  return function(event, rec, i, n)
    if event == "begin" then
      host.write_stderr(string.format("\27[2K\r[%d/%d] %s ...", i, n, rec.title))
    elseif event == "end" then
      host.write_stderr(string.format("\27[2K\r[%d/%d] %s: %s (%d ms)\n", i, n, rec.title,
        rec.status, rec.duration_ms or 0))
    end
  end
end

-- nrb run
function M.run(o)
  local path, ferr = runbook.find(o.runbook)
  if not path then err("%s", ferr); return 1 end
  local rb, errs = runbook.load(path)
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
  local values, perrs = params.resolve(rb.params, raw)
  if not values then
    for _, e in ipairs(perrs) do err("%s", e) end
    return 1
  end

  sandbox.reset()
  local rep = runner.run(rb, values, { label = o.label,
                                       progress = not o.quiet and progress_printer() or nil })

  local main_text, rerr
  if o.format == "json" then
    main_text = report.json(rep)
  else
    main_text, rerr = report.markdown(rep, o.lang)
    if not main_text then err("cannot render the report: %s", rerr); return 1 end
  end
  if o.json then
    local ok, werr = host.write_file(o.json, report.json(rep))
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
  local path, ferr = runbook.find(o.runbook)
  if not path then err("%s", ferr); return 1 end
  local rb, errs = runbook.load(path)
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
  for _, dir in ipairs(runbook.dirs()) do
    for _, f in ipairs(host.list_dir(dir) or {}) do
      local base, ext = f:match("^(.-)%.(%w+)$")
      if base and (ext == "yaml" or ext == "yml" or ext == "lua") and not seen[base] then
        seen[base] = true
        local p = dir .. "/" .. f
        local rb = runbook.load(p)
        rows[#rows + 1] = { name = base, summary = rb and rb.summary or "(invalid: run `nrb check " .. p .. "`)", path = p }
      end
    end
  end
  if #rows == 0 then
    host.write_stdout("no runbooks found (searched: " .. table.concat(runbook.dirs(), ", ") .. ")\n")
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

return M
