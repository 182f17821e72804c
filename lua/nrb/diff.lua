-- nrb.diff: what changed between two reports of the same target (seed step 13, the
-- regression check after a repair): verdict, every step's status, and per probe the
-- figures that matter — loss, RTT, where traces stop, port results, per-hop statistics.
--
--   compare(before, after) -> {target, before = {...}, after = {...}, changes = {...},
--                              same = {...}, fixed = bool, warnings = {...}}
local expr = require "nrb.expr"

local M = {}

local fmt = expr.format

local function show(v)
  if v == nil then return "—" end
  if type(v) == "table" then return fmt(v) end
  return fmt(v)
end

local function verdict_text(v)
  if not v then return "—" end
  local s = "`" .. tostring(v.class) .. "`"
  if type(v.hop) == "number" then s = s .. " at hop " .. v.hop end
  if v.confidence then s = s .. " (" .. v.confidence .. ")" end
  return s
end

-- Describe where a trace ended.
local function trace_end(e)
  if type(e) ~= "table" then return nil end
  if e.reached then return "reaches the target at hop " .. tostring(e.reached_ttl) end
  if e.last_ttl then return "stops after hop " .. tostring(e.last_ttl) .. (e.last_address and (" (" .. e.last_address .. ")") or "") end
  return "no hop answers"
end

-- Figures to compare per step kind: list of {label, function(evidence) -> value}.
local FIGURES = {
  ping = {
    { "loss", function(e) return e.loss_pct and (fmt(e.loss_pct) .. "%") end },
    { "average RTT", function(e) return e.rtt_avg_ms and (fmt(e.rtt_avg_ms) .. " ms") end },
  },
  trace = {
    { "path", trace_end },
  },
  -- the standard runbook's three traces at once: {icmp = trace, udp = trace, tcp = trace}
  traces = {
    { "ICMP path", function(e) return trace_end(e.icmp) end },
    { "UDP path", function(e) return trace_end(e.udp) end },
    { "TCP path", function(e) return trace_end(e.tcp) end },
  },
  tcp_connect = {
    { "result", function(e) return e.status end },
    { "connected", function(e) return e.sent and string.format("%d/%d", e.connected or 0, e.sent) end },
    { "average connect time", function(e) return e.rtt_avg_ms and (fmt(e.rtt_avg_ms) .. " ms") end },
  },
  tcp_syn = { { "answer", function(e) return e.status end } },
  udp = { { "answer", function(e) return e.status end } },
  pmtu = {
    { "result", function(e) return e.status end },
    { "path MTU", function(e) return e.path_mtu end },
  },
  route = {
    { "route", function(e)
      if e.status ~= "ok" then return "none (" .. tostring(e.type) .. ")" end
      return (e.gateway and ("via " .. e.gateway .. " ") or "") .. "dev " .. tostring(e.dev)
    end },
  },
  resolve = { { "addresses", function(e) return e.addresses and fmt(e.addresses) or e.error end } },
  fw = { { "local firewall", function(e) return e.decision end } },
}

local function significant(label, b, a)
  if b == a then return false end
  -- RTT figures jitter: only report a change of more than 20% and 1 ms
  if label:find("RTT") or label:find("time") then
    local nb, na = tonumber((tostring(b):match("^[%d.]+"))), tonumber((tostring(a):match("^[%d.]+")))
    if nb and na and math.abs(na - nb) < math.max(1, 0.2 * nb) then return false end
  end
  return true
end

-- Per-hop statistics: loss per TTL, for the ICMP rounds and, when either run has them,
-- the TCP rounds to the port (evidence `tcp`); a hop that is in one run only shows "—".
local function mtr_changes(title, eb, ea, changes, same)
  local function one(label, hb_list, ha_list)
    local n = math.max(#(hb_list or {}), #(ha_list or {}))
    local any = false
    for ttl = 1, n do
      local hb, ha = (hb_list or {})[ttl] or {}, (ha_list or {})[ttl] or {}
      local lb, la = hb.loss_pct, ha.loss_pct
      if lb ~= la and (lb or la) then
        any = true
        changes[#changes + 1] = { step = title, what = string.format("%shop %d loss (%s)", label, ttl,
          ha.address or hb.address or "?"), before = lb and (fmt(lb) .. "%") or "—", after = la and (fmt(la) .. "%") or "—" }
      end
    end
    if not any then same[#same + 1] = title .. ": " .. label .. "per-hop loss unchanged" end
  end
  one("", eb.hops, ea.hops)
  local tb, ta = type(eb.tcp) == "table" and eb.tcp or nil, type(ea.tcp) == "table" and ea.tcp or nil
  if tb or ta then
    local port = (ta or tb).port
    one(string.format("TCP/%s ", tostring(port)), tb and tb.hops or {}, ta and ta.hops or {})
  end
end

function M.compare(before, after)
  local d = { before = before, after = after, changes = {}, same = {}, warnings = {} }
  local tb, ta = before.target or {}, after.target or {}
  local kb = tostring(tb.address or tb.host) .. "/" .. tostring(tb.proto) .. "/" .. tostring(tb.port)
  local ka = tostring(ta.address or ta.host) .. "/" .. tostring(ta.proto) .. "/" .. tostring(ta.port)
  if kb ~= ka then
    return nil, string.format("the reports are about different targets: %s is %s, %s is %s",
      before._file or "BEFORE", kb, after._file or "AFTER", ka)
  end
  d.target = ta
  if before.runbook.name ~= after.runbook.name then
    d.warnings[#d.warnings + 1] = string.format("different runbooks (%s, %s): only steps with the same id are compared",
      before.runbook.name, after.runbook.name)
  end
  local vb, va = (before.vantage or {}), (after.vantage or {})
  if (vb.hostname and va.hostname and vb.hostname ~= va.hostname) or (vb.label ~= va.label) then
    d.warnings[#d.warnings + 1] = string.format("different vantage points (%s, %s): a change may be the vantage, not the fix",
      tostring(vb.label or vb.hostname), tostring(va.label or va.hostname))
  end
  if before.interrupted or after.interrupted then
    d.warnings[#d.warnings + 1] = "one of the runs was interrupted: missing steps are not changes"
  end
  -- verdict
  if before.verdict.class ~= after.verdict.class or before.verdict.hop ~= after.verdict.hop then
    d.changes[#d.changes + 1] = { step = "verdict", what = "verdict", before = verdict_text(before.verdict), after = verdict_text(after.verdict) }
  else
    d.same[#d.same + 1] = "verdict: " .. verdict_text(after.verdict)
  end
  d.fixed = before.verdict.class ~= "OK" and after.verdict.class == "OK"
  d.regressed = before.verdict.class == "OK" and after.verdict.class ~= "OK"
  -- steps by id
  local by_id = {}
  for _, s in ipairs(after.steps or {}) do by_id[s.id] = s end
  local seen = {}
  for _, sb in ipairs(before.steps or {}) do
    local sa = by_id[sb.id]
    local title = sb.title or sb.id
    seen[sb.id] = true
    if not sa then
      d.changes[#d.changes + 1] = { step = title, what = "step", before = sb.status, after = "(not in the second report)" }
    else
      if sb.status ~= sa.status then
        d.changes[#d.changes + 1] = { step = title, what = "status", before = sb.status, after = sa.status }
      end
      local kind = sa.uses or sb.uses
      local eb, ea = sb.evidence or {}, sa.evidence or {}
      if kind == "mtr" then
        mtr_changes(title, eb, ea, d.changes, d.same)
      else
        local figs = FIGURES[kind] or { { "result", function(e) return e.status end } }
        for _, f in ipairs(figs) do
          local okb, b = pcall(f[2], eb)
          local oka, a = pcall(f[2], ea)
          b, a = okb and b or nil, oka and a or nil
          if significant(f[1], b, a) then
            d.changes[#d.changes + 1] = { step = title, what = f[1], before = show(b), after = show(a) }
          elseif b ~= nil then
            d.same[#d.same + 1] = string.format("%s: %s %s", title, f[1], show(a))
          end
        end
      end
    end
  end
  for _, sa in ipairs(after.steps or {}) do
    if not seen[sa.id] then
      d.changes[#d.changes + 1] = { step = sa.title or sa.id, what = "step", before = "(not in the first report)", after = sa.status }
    end
  end
  return d
end

local function cell(s)
  return (tostring(s):gsub("|", "\\|"):gsub("\n", " "))
end

function M.markdown(d)
  local b, a, t = d.before, d.after, d.target
  local out = {}
  local function p(s) out[#out + 1] = s end
  p(string.format("# Before and after: %s %s/%s", tostring(t.host or t.address), tostring(t.proto), tostring(t.port)))
  p("")
  if d.fixed then
    p("**Fixed:** the fault no longer reproduces (" .. verdict_text(b.verdict) .. " → " .. verdict_text(a.verdict) .. ").")
  elseif d.regressed then
    p("**Regressed:** it worked before and fails now (" .. verdict_text(b.verdict) .. " → " .. verdict_text(a.verdict) .. ").")
  elseif b.verdict.class == a.verdict.class then
    p("**Unchanged verdict:** " .. verdict_text(a.verdict) .. ".")
  else
    p("**Verdict changed:** " .. verdict_text(b.verdict) .. " → " .. verdict_text(a.verdict) .. ".")
  end
  p("")
  for _, w in ipairs(d.warnings) do p("> Note: " .. w) end
  if #d.warnings > 0 then p("") end
  p("| | Before | After |")
  p("|---|---|---|")
  p(string.format("| Run (UTC) | %s — %s | %s — %s |", b.started, b.finished, a.started, a.finished))
  p(string.format("| Vantage point | %s | %s |", cell((b.vantage or {}).label or (b.vantage or {}).hostname or "?"),
    cell((a.vantage or {}).label or (a.vantage or {}).hostname or "?")))
  p(string.format("| Verdict | %s | %s |", verdict_text(b.verdict), verdict_text(a.verdict)))
  p(string.format("| Summary | %s | %s |", cell(b.verdict.summary or ""), cell(a.verdict.summary or "")))
  p("")
  p("## What changed")
  p("")
  if #d.changes == 0 then
    p("Nothing: every compared figure is the same.")
  else
    p("| Step | Figure | Before | After |")
    p("|---|---|---|---|")
    for _, c in ipairs(d.changes) do
      p(string.format("| %s | %s | %s | %s |", cell(c.step), cell(c.what), cell(c.before), cell(c.after)))
    end
  end
  p("")
  if #d.same > 0 then
    p("## Unchanged")
    p("")
    for _, s in ipairs(d.same) do p("- " .. s) end
    p("")
  end
  p(string.format("---\nCompared by nrb: `%s` and `%s`", b._file or "before", a._file or "after"))
  return table.concat(out, "\n") .. "\n"
end

return M
