-- The shipped ticket templates (reports/ticket.md, ticket.zh.md) render the example reports
-- without runs of blank lines: nested standalone block tags ({{#each}} around {{#if}})
-- must vanish with their lines (nrb.template), not leave one blank line per level.
local host = require "nrb.core.host"
local report = require "nrb.report"
local reportfile = require "nrb.reportfile"

local T = {}

function T.example_reports_render_without_double_blank_lines()
  local root = host.roots()[1]
  local seen = 0
  for _, dir in ipairs({ "/examples/reports/lab", "/examples/reports" }) do
    for _, f in ipairs(host.list_dir(root .. dir) or {}) do
      if f:match("%.json$") then
        local r = assert(reportfile.load(root .. dir .. "/" .. f))
        for _, lang in ipairs({ "en", "zh" }) do
          local md = assert(report.markdown(r, lang))
          local at = md:find("\n\n\n", 1, true)
          if at then
            error(string.format("%s (%s): double blank line after %q", f, lang, md:sub(math.max(1, at - 80), at)))
          end
          seen = seen + 1
        end
      end
    end
  end
  assert(seen >= 20, "example reports found: " .. seen)
end

return T
