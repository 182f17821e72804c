-- nrb.report.sections: the parts of the ticket a NOC reads first, built from evidence
-- (doc/evidence.md): the traces side by side, per-hop statistics in `mtr -r` layout, the
-- path as a diagram with the break marked, ping and port results.  Pure functions of the
-- report; the template decides where they go.
local expr = require "nrb.expr"

local M = {}

local fmt = expr.format

local function ms(x) return x and (fmt(x) .. " ms") or nil end

-- Steps of one kind, in order.  A `traces` step (three protocols at once) counts as
-- one `trace` step per protocol.
local function of_kind(report, kind)
  local out = {}
  for _, s in ipairs(report.steps or {}) do
    if type(s.evidence) == "table" and next(s.evidence) then
      if s.uses == kind then
        out[#out + 1] = s
      elseif kind == "trace" and s.uses == "traces" then
        for _, p in ipairs({ "icmp", "udp", "tcp" }) do
          if type(s.evidence[p]) == "table" then
            out[#out + 1] = { uses = "trace", status = s.status, evidence = s.evidence[p] }
          end
        end
      end
    end
  end
  return out
end

local function trace_label(e)
  local p = tostring(e.proto or "?"):upper()
  if e.port and e.proto ~= "icmp" then p = p .. "/" .. tostring(e.port) end
  return p
end

-- One cell of the traces table: "198.51.100.2 1.2 ms" or "*" (silent) or "" (not probed).
local function hop_cell(h)
  if not h then return "" end
  if (h.received or 0) == 0 or not h.addresses or #h.addresses == 0 then return "*" end
  local best
  for _, r in ipairs(h.replies or {}) do
    if r.rtt_ms and (not best or r.rtt_ms < best) then best = r.rtt_ms end
  end
  local kinds = {}
  for _, r in ipairs(h.replies or {}) do
    if r.kind and r.kind ~= "time_exceeded" then kinds[r.kind] = true end
  end
  local k = next(kinds)
  local s = table.concat(h.addresses, ", ")
  if best then s = s .. " " .. fmt(best) .. " ms" end
  if k then s = s .. " (" .. k .. ")" end
  if (h.received or 0) < (h.sent or 0) then s = s .. string.format(" %d/%d", h.received, h.sent) end
  return s
end

local function trace_end(e)
  if e.reached then
    return string.format("reached at hop %s (%s)", tostring(e.reached_ttl), tostring(e.dest_answer or "answer"))
  end
  if e.stop == "unreachable" and e.unreachable then
    return string.format("stopped at hop %s: %s from %s", tostring(e.unreachable.ttl or "?"),
      tostring(e.unreachable.kind), tostring(e.unreachable.from))
  end
  if e.last_ttl then return string.format("silent after hop %d", e.last_ttl) end
  return "no hop answered"
end

-- The traces as one table: rows are TTLs, columns are protocols.
function M.traces(report)
  local steps = of_kind(report, "trace")
  if #steps == 0 then return nil end
  local cols, n = {}, 0
  for _, s in ipairs(steps) do
    cols[#cols + 1] = { label = trace_label(s.evidence), e = s.evidence }
    n = math.max(n, #(s.evidence.hops or {}))
  end
  local header, sep = { "TTL" }, { "---" }
  for _, c in ipairs(cols) do header[#header + 1] = c.label; sep[#sep + 1] = "---" end
  -- rows up to two past the last TTL anything answered at; the silent rest in one row
  local last = 0
  for ttl = 1, n do
    for _, c in ipairs(cols) do
      local h = (c.e.hops or {})[ttl]
      if h and h.addresses and h.addresses[1] then last = ttl end
    end
  end
  local shown = math.min(n, last + 2)
  local rows = {}
  for ttl = 1, shown do
    local r = { tostring(ttl) }
    for _, c in ipairs(cols) do r[#r + 1] = hop_cell((c.e.hops or {})[ttl]) end
    rows[#rows + 1] = r
  end
  if shown < n then
    local r = { string.format("%d–%d", shown + 1, n) }
    for _, c in ipairs(cols) do
      r[#r + 1] = #(c.e.hops or {}) > shown and "* (no answer)" or ""
    end
    rows[#rows + 1] = r
  end
  local ends = { "end" }
  for _, c in ipairs(cols) do ends[#ends + 1] = trace_end(c.e) end
  rows[#rows + 1] = ends
  local lines = { "| " .. table.concat(header, " | ") .. " |", "|" .. table.concat(sep, "|") .. "|" }
  for _, r in ipairs(rows) do
    for i, x in ipairs(r) do r[i] = tostring(x):gsub("|", "\\|") end
    lines[#lines + 1] = "| " .. table.concat(r, " | ") .. " |"
  end
  return table.concat(lines, "\n")
end

-- Per-hop statistics exactly in `mtr -r` layout (a code block keeps the columns): the
-- ICMP table, then the TCP one when the step ran both (`also_tcp_port`).
local function mtr_table(report, e)
  local host = (report.vantage or {}).hostname or "localhost"
  local lines = {}
  lines[#lines + 1] = string.format("Start: %s  (%s%s, %s rounds)", tostring(report.started),
    tostring(e.proto or "icmp"):upper(), e.port and ("/" .. e.port) or "", tostring(e.rounds or "?"))
  lines[#lines + 1] = string.format("HOST: %-28s Loss%%   Snt   Last   Avg  Best  Wrst StDev", host)
  for i, h in ipairs(e.hops or {}) do
    local function f(x) return x and string.format("%.1f", x) or "0.0" end
    lines[#lines + 1] = string.format("%3d.|-- %-28s %5.1f%% %5d %6s %5s %5s %5s %5s", i,
      h.address or "???", h.loss_pct or 100, h.sent or 0, f(h.last_ms), f(h.avg_ms), f(h.best_ms),
      f(h.worst_ms), f(h.stdev_ms))
  end
  return table.concat(lines, "\n")
end

function M.mtr(report)
  local steps = of_kind(report, "mtr")
  if #steps == 0 then return nil end
  local e = steps[1].evidence
  local out = { mtr_table(report, e) }
  if type(e.tcp) == "table" and type(e.tcp.hops) == "table" then out[2] = mtr_table(report, e.tcp) end
  return table.concat(out, "\n\n")
end

-- One line under the statistics: the pace the rounds went at and why (the reader of a
-- ticket should know a hop's loss may be its ICMP rate limit).  Text from nrb.i18n.
function M.mtr_pace(report, lang)
  local i18n = require "nrb.i18n"
  local steps = of_kind(report, "mtr")
  local e = steps[1] and steps[1].evidence
  local p = e and e.pace
  if type(p) ~= "table" then return nil end
  local function t(id, args) return i18n.text(id, args)[lang] or i18n.text(id, args).en end
  local iv = fmt(e.interval_ms)
  local s
  if p.fast then
    s = t("pace_fast", { interval = iv })
    if e.slowed_round then
      s = s .. t("pace_slowed", { round = e.slowed_round, slow = fmt(e.slow_interval_ms), hop = e.slow_hop })
    end
    if type(e.tcp) == "table" and e.tcp.stopped_round then
      s = s .. t("pace_tcp_stopped", { round = e.tcp.stopped_round })
    end
  elseif p.hop then
    s = t("pace_slow", { interval = iv, hop = p.hop, received = p.received, sent = p.sent,
      proto = tostring(p.proto):upper() })
    if p.tcp_left_out then s = s .. t("pace_tcp_left_out") end
  else
    s = t("pace_plain", { interval = iv })
  end
  return s
end

-- The path from here to the target, hop by hop, with the verdict's hop marked.
-- Returns mermaid source and a plain-text line.
function M.path(report)
  local traces = of_kind(report, "trace")
  local hops, n = {}, 0
  for _, s in ipairs(traces) do
    for ttl, h in ipairs(s.evidence.hops or {}) do
      if h.addresses and h.addresses[1] and not hops[ttl] then hops[ttl] = h.addresses[1] end
      n = math.max(n, ttl)
    end
  end
  if n == 0 then return nil end
  local v = report.verdict or {}
  local t = report.target or {}
  local bad = type(v.hop) == "number" and v.hop or nil
  local dest = type(t.address) == "string" and t.address or tostring(t.host)
  local ok = v.class == "OK" or v.class == "ICMP_FILTERED"
  local m = { "```mermaid", "flowchart LR" }
  local txt = { "here" }
  m[#m + 1] = string.format('  h0["this host<br/>%s"]', table.concat((report.vantage or {}).addresses or {}, ", "))
  local last = 0
  for ttl = 1, n do
    local a = hops[ttl]
    if a == dest then break end
    local label = a and string.format("hop %d<br/>%s", ttl, a) or string.format("hop %d<br/>(silent)", ttl)
    m[#m + 1] = string.format('  h%d["%s"]', ttl, label)
    m[#m + 1] = string.format("  h%d --> h%d", ttl - 1, ttl)
    txt[#txt + 1] = a or "*"
    last = ttl
  end
  m[#m + 1] = string.format('  dst(["%s<br/>%s/%s"])', dest, tostring(t.proto or ""), tostring(t.port or ""))
  if ok then
    m[#m + 1] = string.format("  h%d --> dst", last)
  else
    m[#m + 1] = string.format("  h%d -. \"%s\" .-x dst", last, tostring(v.class))
  end
  local here = v.class == "LOCAL_FIREWALL" or v.class == "LOCAL_ROUTE"
  if here then
    -- the fault is this host's own (its firewall or its routes)
    m[#m + 1] = "  classDef fault fill:#f8d7da,stroke:#c00,stroke-width:2px"
    m[#m + 1] = "  class h0 fault"
  elseif bad and bad <= last then
    m[#m + 1] = "  classDef fault fill:#f8d7da,stroke:#c00,stroke-width:2px"
    m[#m + 1] = string.format("  class h%d fault", bad)
  elseif bad and not ok then
    m[#m + 1] = "  classDef fault fill:#f8d7da,stroke:#c00,stroke-width:2px"
    m[#m + 1] = "  class dst fault"
  end
  m[#m + 1] = "```"
  txt[#txt + 1] = dest
  local line = {}
  for i, x in ipairs(txt) do
    local label = x
    if i > 1 and i - 1 == bad then label = "[" .. x .. " <- " .. tostring(v.class) .. "]" end
    if i == 1 and here then label = "[" .. x .. " <- " .. tostring(v.class) .. "]" end
    line[#line + 1] = label
  end
  local plain = table.concat(line, " -> ")
  if not ok then
    plain = plain:gsub(" %-> " .. dest:gsub("%p", "%%%0") .. "$", " -x- " .. dest)
  end
  return table.concat(m, "\n"), plain
end

-- What a probe step that sent nothing ended with ("error: no ICMP socket ...",
-- "unresolved: ..."), or nil when it sent something: such a step has no figures to show.
local function nothing_sent(s)
  local e = s.evidence
  if (e.sent or 0) > 0 or (e.error == nil and s.error == nil) then return nil end
  return tostring(e.status or s.status) .. ": " .. tostring(e.error or s.error)
end

-- The host a step probed: the evidence's address, else its host, else the step's argument.
local function probed(s)
  local e = s.evidence
  return tostring(e.address or e.host or (s.args and s.args.host) or "?")
end

-- Ping and port results, one row each.  A probe that could not run says why, never a
-- row of zeros or a "nil".
function M.probes(report)
  local rows = {}
  for _, s in ipairs(of_kind(report, "ping")) do
    local e = s.evidence
    rows[#rows + 1] = { what = "ping " .. probed(s), result = nothing_sent(s) or string.format(
      "%s/%s replies, %s%% loss", tostring(e.received or 0), tostring(e.sent or 0), fmt(e.loss_pct or 0)),
      detail = e.rtt_avg_ms and string.format("rtt min/avg/max %s/%s/%s ms, reply TTL %s", fmt(e.rtt_min_ms),
        fmt(e.rtt_avg_ms), fmt(e.rtt_max_ms), tostring(e.reply_ttl or "?")) or "" }
  end
  for _, kind in ipairs({ "tcp_connect", "tcp_syn", "udp" }) do
    for _, s in ipairs(of_kind(report, kind)) do
      local e = s.evidence
      local port = e.port or (s.args and s.args.port)
      local label = (kind == "udp" and "UDP " or "TCP ") .. probed(s) .. (port and (" port " .. tostring(port)) or "")
      local detail = {}
      if e.rtt_avg_ms then detail[#detail + 1] = "avg " .. ms(e.rtt_avg_ms) end
      if e.rtt_ms then detail[#detail + 1] = ms(e.rtt_ms) end
      if e.reply_ttl then detail[#detail + 1] = "reply TTL " .. e.reply_ttl end
      if e.icmp and e.icmp.kind then detail[#detail + 1] = "ICMP " .. e.icmp.kind .. " from " .. tostring(e.icmp.from) end
      local result
      if kind == "tcp_connect" then
        result = nothing_sent(s) or string.format("%s (%d/%d connected)", tostring(e.status), e.connected or 0, e.sent or 0)
      else -- one probe: its status, and the error it met if any (a send the kernel refused)
        result = tostring(e.status or s.status) .. ((e.error or s.error) and (": " .. tostring(e.error or s.error)) or "")
      end
      rows[#rows + 1] = { what = label .. (kind == "tcp_syn" and " (SYN)" or ""), result = result, detail = table.concat(detail, ", ") }
    end
  end
  for _, s in ipairs(of_kind(report, "pmtu")) do
    local e = s.evidence
    rows[#rows + 1] = { what = "path MTU to " .. tostring(e.address), result = tostring(e.status),
      detail = string.format("largest that passes %s bytes%s%s%s", tostring(e.path_mtu or "?"),
        e.reported and string.format(", reported by %s (MTU %s)", tostring(e.reported.from), tostring(e.reported.mtu)) or "",
        e.hop and string.format(", full-size probes answered up to hop %d (%s)", e.hop, tostring(e.hop_address)) or "",
        e.status == "lossy" and string.format(", %s bytes vanished but so did smaller sizes at random", tostring(e.smallest_lost)) or "") }
  end
  if #rows == 0 then return nil end
  return rows
end

-- The live captures (capture_stop steps): .pcap path, how it was taken, the analysis.
function M.capture(report)
  local parts = {}
  for _, s in ipairs(of_kind(report, "capture_stop")) do
    local e = s.evidence
    if e.status == "ok" then
      parts[#parts + 1] = require("nrb.report.capture").section(e)
    else
      parts[#parts + 1] = "No capture: " .. tostring(e.error or e.status)
    end
  end
  if #parts == 0 then return nil end
  return table.concat(parts, "\n\n")
end

-- Kinds whose evidence is shown by a section above (the generic table would be long).
M.SUMMARISED = {
  capture_stop = { en = "Capture", zh = "抓包" },
  trace = { en = "Traces", zh = "路由跟踪" },
  traces = { en = "Traces", zh = "路由跟踪" },
  mtr = { en = "Per-hop statistics", zh = "逐跳统计" },
}

return M
