-- nrb.reportfile: read report JSON files (nrb merge, nrb diff) and check they are
-- reports this version understands.  Every problem names the file.
local host = require "nrb.core.host"
local json = require "nrb.core.json"

local M = {}

M.SCHEMA = "nrb.report/1"

local function need(r, path, kind)
  local v = r
  for seg in path:gmatch("[^.]+") do
    if type(v) ~= "table" then return nil end
    v = v[seg]
  end
  if kind and type(v) ~= kind then return nil end
  return v
end

-- Load and check one report file. Returns the table or nil, message.
function M.load(path)
  local text, err = host.read_file(path)
  if not text then return nil, err end
  return M.parse(text, path)
end

-- Check report text (path names it in messages).
function M.parse(text, path)
  if text:match("^%s*$") then return nil, path .. ": empty file, not a report" end
  local r, jerr = json.decode(text)
  if r == nil then return nil, string.format("%s: not valid JSON (%s) — truncated or not a report?", path, jerr) end
  if type(r) ~= "table" then return nil, path .. ": not a report (the JSON is not an object)" end
  if r.schema ~= M.SCHEMA then
    return nil, string.format("%s: schema '%s' is not %s (a report from another nrb version or another tool)",
      path, tostring(r.schema), M.SCHEMA)
  end
  for _, f in ipairs({ { "verdict.class", "string" }, { "steps", "table" }, { "target", "table" },
                       { "started", "string" }, { "finished", "string" }, { "runbook.name", "string" } }) do
    if need(r, f[1], f[2]) == nil then
      return nil, string.format("%s: report has no %s (field '%s' missing or of the wrong type)", path, f[1], f[1])
    end
  end
  r._file = path
  return r
end

-- Seconds since the epoch for an RFC 3339 UTC timestamp ("2026-11-22T03:24:00.123Z").
function M.epoch(ts)
  local y, mo, d, h, mi, s = tostring(ts):match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)")
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  -- days from civil (Howard Hinnant's algorithm), no os.time (local time zones) needed
  if mo <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (mo + (mo > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  local days = era * 146097 + doe - 719468
  return days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s)
end

-- "label" of a report's vantage point: its label, else its hostname.
function M.vantage(r)
  local v = r.vantage or {}
  if type(v.label) == "string" and v.label ~= "" then return v.label end
  return tostring(v.hostname or "?")
end

return M
