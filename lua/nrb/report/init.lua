-- nrb.report: render a report table (schema nrb.report/1) as JSON or Markdown.
--
-- JSON is the contract other tools read (DESIGN.md); Markdown is the ticket a person
-- pastes into a work order, rendered from a template in a data root's reports/ folder
-- (ticket.md, or ticket.LANG.md for --lang) with nrb.template.
local host = require "nrb.core.host"
local json = require "nrb.core.json"
local template = require "nrb.template"
local sections = require "nrb.report.sections"

local M = {}

function M.json(report)
  return json.encode(report, { pretty = true }) .. "\n"
end

-- Locate a template: the first data root that has reports/NAME.
function M.find_template(name)
  for _, root in ipairs(host.roots()) do
    local p = root .. "/reports/" .. name
    if host.kind(p) == "file" then return p end
  end
  return nil
end

local function fmt_value(v)
  if v == json.null then return "null" end
  if math.type(v) == "float" then
    local s = string.format("%.3f", v):gsub("0+$", ""):gsub("%.$", "")
    return s
  end
  return tostring(v)
end

local function is_array(t)
  return type(t) == "table" and (json.is_array(t) or (#t > 0 and next(t, #t) == nil))
end

-- Flatten evidence into {key, value} rows a person can read in a table.
local function rows_of(ev)
  local rows = {}
  local function add(prefix, v)
    if type(v) ~= "table" then
      rows[#rows + 1] = { key = prefix, value = fmt_value(v) }
    elseif is_array(v) then
      local scalars = true
      for _, x in ipairs(v) do if type(x) == "table" then scalars = false end end
      if scalars then
        local parts = {}
        for i, x in ipairs(v) do parts[i] = fmt_value(x) end
        rows[#rows + 1] = { key = prefix, value = #parts > 0 and table.concat(parts, ", ") or "(none)" }
      else
        for i, x in ipairs(v) do
          if type(x) == "table" and not is_array(x) then
            local keys, parts = {}, {}
            for k in pairs(x) do keys[#keys + 1] = tostring(k) end
            table.sort(keys)
            for _, k in ipairs(keys) do
              if type(x[k]) ~= "table" then parts[#parts + 1] = k .. " " .. fmt_value(x[k]) end
            end
            rows[#rows + 1] = { key = string.format("%s[%d]", prefix, i), value = table.concat(parts, ", ") }
          else
            add(string.format("%s[%d]", prefix, i), x)
          end
        end
      end
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      for _, k in ipairs(keys) do add(prefix == "" and k or (prefix .. "." .. k), v[k]) end
    end
  end
  add("", ev or {})
  return rows
end

-- The data the Markdown template sees: the report plus a few derived fields.
function M.view(report, lang)
  local v = setmetatable({}, { __index = report })
  v.lang = lang
  local steps, findings = {}, {}
  local counts = { ok = 0, failed = 0, skipped = 0, error = 0 }
  for i, s in ipairs(report.steps or {}) do
    local shown = sections.SUMMARISED[s.uses]
    shown = shown and (shown[lang] or shown.en)
    local sv = setmetatable({ n = i, rows = not shown and rows_of(s.evidence) or nil,
                              shown_in = shown, ["is_" .. tostring(s.status)] = true }, { __index = s })
    steps[i] = sv
    counts[s.status] = (counts[s.status] or 0) + 1
    for _, f in ipairs(s.findings or {}) do
      findings[#findings + 1] = { step = s.id, severity = f.severity or "info", text = f.text }
    end
  end
  v.steps = steps
  v.findings = findings
  v.counts = counts
  v.verdict_is_ok = report.verdict and report.verdict.class == "OK"
  -- rules that speak other languages put their text in verdict.i18n[lang]
  local tr = report.verdict and report.verdict.i18n and report.verdict.i18n[lang]
  if tr then
    v.verdict = setmetatable({ summary = tr.summary or report.verdict.summary,
                               reasons = tr.reasons or report.verdict.reasons }, { __index = report.verdict })
    if tr.suggestions then v.suggestions = tr.suggestions end
  end
  v.tz = "UTC"
  v.traces_table = sections.traces(report)
  v.mtr_text = sections.mtr(report)
  v.mtr_pace = sections.mtr_pace(report, lang)
  v.path_mermaid, v.path_text = sections.path(report)
  v.probe_rows = sections.probes(report)
  v.capture_text = sections.capture(report)
  return v
end

-- Render Markdown. Returns text or nil, message.
function M.markdown(report, lang, name)
  name = name or "ticket"
  local file = (lang and lang ~= "en") and M.find_template(name .. "." .. lang .. ".md") or nil
  file = file or M.find_template(name .. ".md")
  if not file then return nil, "report template '" .. name .. ".md' not found in any data root's reports/" end
  local src, err = host.read_file(file)
  if not src then return nil, err end
  local ok, out = pcall(template.render_string, src, M.view(report, lang), file)
  if not ok then return nil, tostring(out) end
  return out
end

return M
