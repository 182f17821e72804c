-- nrb.merge: one ticket from several reports of the same incident — clients in several
-- places, and/or the server's own view (the server-side runbook) — with the combined
-- verdict and why.  Reports about different targets are refused; what cannot be
-- reconciled (clocks far apart, disagreeing vantage points) is said, and lowers the
-- confidence, never silently.
--
--   combine(reports) -> merged {target, verdict, vantages, notes, clients, servers} | nil, msg
--
-- A server-side report (runbook "server-side") describes what reached the server in
-- verdict.server_view = {syn_seen = N, answered = "syn_ack"|"rst"|"icmp"|"none",
-- listening = bool, fw_decision = "accept"|"drop"|"reject"|..., fw_rule = "..."}.
local reportfile = require "nrb.reportfile"

local M = {}

-- Reports whose start times differ by more than this may not describe the same moment.
M.MAX_SKEW_S = 3600

local RANK = { high = 3, medium = 2, low = 1 }
local function lower(c)
  if c == "high" then return "medium" end
  return "low"
end

local function contains(list, v)
  for _, x in ipairs(list or {}) do if x == v then return true end end
  return false
end

local function key(r)
  local t = r.target or {}
  return string.format("%s %s/%s", tostring(t.address or t.host), tostring(t.proto), tostring(t.port))
end

local function is_server(r)
  return r.runbook and r.runbook.name == "server-side"
end

-- Where the path breaks, from a client's verdict.
local function where(r)
  local v = r.verdict
  if v.class == "OK" then return "—" end
  if type(v.hop) == "number" then
    return string.format("hop %d%s", v.hop, type(v.address) == "string" and (" (" .. v.address .. ")") or "")
  end
  return type(v.address) == "string" and v.address or "—"
end

function M.combine(reports)
  if #reports < 2 then return nil, "merge needs at least two reports" end
  local clients, servers = {}, {}
  for _, r in ipairs(reports) do
    if is_server(r) then servers[#servers + 1] = r else clients[#clients + 1] = r end
  end
  if #clients == 0 then return nil, "no client report to merge (only server-side reports)" end
  -- same incident: every client about the same target
  local k = key(clients[1])
  for _, r in ipairs(clients) do
    if key(r) ~= k then
      local lines = {}
      for _, x in ipairs(clients) do lines[#lines + 1] = string.format("  %s: %s", x._file or "?", key(x)) end
      return nil, "these reports are about different targets, not one incident:\n" .. table.concat(lines, "\n")
    end
  end
  local target = clients[1].target
  for _, s in ipairs(servers) do
    local sport = (s.params or {}).port or (s.target or {}).port
    if sport ~= target.port or not contains((s.vantage or {}).addresses, target.address) then
      return nil, string.format("%s is a server-side report for port %s on %s, not for %s",
        s._file or "?", tostring(sport), table.concat((s.vantage or {}).addresses or {}, ", "), k)
    end
  end
  local m = { target = target, clients = clients, servers = servers, notes = {}, vantages = {} }
  -- clocks
  local lo, hi
  for _, r in ipairs(reports) do
    local e = reportfile.epoch(r.started)
    if e then
      lo = lo and math.min(lo, e) or e
      hi = hi and math.max(hi, e) or e
    end
  end
  local skew = (lo and hi) and (hi - lo) or 0
  for _, r in ipairs(reports) do
    m.vantages[#m.vantages + 1] = {
      label = reportfile.vantage(r), role = is_server(r) and "server" or "client",
      addresses = table.concat((r.vantage or {}).addresses or {}, ", "),
      class = r.verdict.class, confidence = r.verdict.confidence, where = where(r),
      started = r.started, file = r._file,
    }
  end

  local v = { reasons = {}, proto = target.proto, port = target.port }
  local failing, ok = {}, {}
  for _, r in ipairs(clients) do
    if r.verdict.class == "OK" then ok[#ok + 1] = r else failing[#failing + 1] = r end
  end
  local function labels(list)
    local l = {}
    for _, r in ipairs(list) do l[#l + 1] = reportfile.vantage(r) end
    return table.concat(l, ", ")
  end

  if #failing == 0 then
    v.class, v.confidence = "OK", "high"
    v.summary = "no fault reproduced from any vantage point (" .. labels(ok) .. ")"
  else
    -- the failing clients' verdicts: agree or not
    local classes, first = {}, failing[1]
    for _, r in ipairs(failing) do classes[r.verdict.class] = (classes[r.verdict.class] or 0) + 1 end
    local ndistinct = 0
    for _ in pairs(classes) do ndistinct = ndistinct + 1 end
    v.class, v.hop, v.address = first.verdict.class, first.verdict.hop, first.verdict.address
    v.confidence = first.verdict.confidence or "medium"
    v.summary = first.verdict.summary
    if ndistinct > 1 then
      local parts = {}
      for _, r in ipairs(failing) do parts[#parts + 1] = reportfile.vantage(r) .. ": " .. r.verdict.class end
      v.reasons[#v.reasons + 1] = "the failing vantage points disagree (" .. table.concat(parts, "; ") ..
        "); the verdict follows " .. reportfile.vantage(first)
      v.confidence = "low"
    elseif #failing >= 2 then
      v.reasons[#v.reasons + 1] = string.format("%d vantage points agree: %s (%s)", #failing, v.class, labels(failing))
      if RANK[v.confidence] < RANK.high and v.class ~= "SERVER_FIREWALL" then v.confidence = "medium" end
    end
    if #ok > 0 then
      v.path_specific = true
      v.reasons[#v.reasons + 1] = string.format(
        "the fault is path-specific: it reproduces from %s but not from %s, which reach the service",
        labels(failing), labels(ok))
    end
    -- the server's view settles what the client alone cannot
    for _, s in ipairs(servers) do
      local sv = s.verdict.server_view or {}
      local who = reportfile.vantage(s)
      if sv.listening == false then
        v.class, v.confidence, v.hop, v.address = "SERVICE_DOWN", "high", nil, target.address
        v.summary = string.format("nothing listens on %s/%s on the server", tostring(target.proto), tostring(target.port))
        v.reasons[#v.reasons + 1] = who .. ": no socket listens on the port"
      elseif sv.syn_seen ~= 0 and (sv.fw_decision == "drop" or sv.fw_decision == "reject") then
        -- the server's own firewall would stop the flow (and, with a capture, SYNs arrived)
        v.class, v.confidence, v.address = "SERVER_FIREWALL", "high", target.address
        v.hop = type(first.verdict.hop) == "number" and first.verdict.hop or nil
        v.summary = string.format("the server's firewall %ss the client's %s/%s%s", sv.fw_decision,
          tostring(target.proto), tostring(target.port), sv.fw_rule and (": " .. sv.fw_rule) or "")
        v.reasons[#v.reasons + 1] = string.format("%s: %sthe firewall decision for the client's flow is %s%s", who,
          sv.syn_seen and string.format("%d SYN(s) from the client arrived; ", sv.syn_seen) or "",
          sv.fw_decision, sv.fw_rule and (" by " .. sv.fw_rule) or "")
      elseif (sv.syn_seen or 0) > 0 and sv.answered == "syn_ack" then
        v.class, v.confidence = "ROUTING", "medium"
        v.summary = "the server answers the client's SYNs but the answers do not reach the client: the return path"
        v.reasons[#v.reasons + 1] = string.format("%s: %d SYN(s) arrived and were answered with SYN-ACK", who, sv.syn_seen)
        if type(s.verdict.hop) == "number" then v.hop, v.address = s.verdict.hop, s.verdict.address end
      elseif sv.syn_seen == 0 then
        v.reasons[#v.reasons + 1] = who .. ": no SYN from the client reached the server during the run"
        if v.class == "SERVER_FIREWALL" then
          -- the client could not tell the server from the last router; the server can
          v.class = "PATH_FIREWALL"
          v.address, v.hop = nil, type(first.verdict.hop) == "number" and first.verdict.hop - 1 or nil
          v.summary = "the packets stop before the server: a filter on the last router or the provider's edge"
        end
        v.confidence = "high"
      end
    end
  end
  if skew > M.MAX_SKEW_S then
    m.notes[#m.notes + 1] = string.format("the reports were taken up to %d minutes apart: they may not describe the same moment", skew // 60)
    v.confidence = lower(v.confidence)
  end
  m.verdict = v
  return m
end

local function cell(s) return (tostring(s or ""):gsub("|", "\\|"):gsub("\n", " ")) end

function M.markdown(m)
  local out = {}
  local function p(s) out[#out + 1] = s end
  local t, v = m.target, m.verdict
  p(string.format("# Network diagnosis (merged): %s %s/%s — `%s`", tostring(t.host), tostring(t.proto), tostring(t.port), v.class))
  p("")
  p(string.format("**Verdict:** `%s` — %s", v.class, v.summary or ""))
  p(string.format("**Confidence:** %s%s%s", v.confidence,
    type(v.hop) == "number" and (" · **Hop:** " .. v.hop) or "",
    type(v.address) == "string" and (" · **Device:** " .. v.address) or ""))
  p("")
  if #v.reasons > 0 then
    p("Why:")
    for _, r in ipairs(v.reasons) do p("- " .. r) end
    p("")
  end
  for _, n in ipairs(m.notes) do p("> Note: " .. n) end
  if #m.notes > 0 then p("") end
  p("## Vantage points")
  p("")
  p("| Vantage point | Role | Source addresses | Verdict | Confidence | Where the path breaks | Started (UTC) |")
  p("|---|---|---|---|---|---|---|")
  for _, x in ipairs(m.vantages) do
    p(string.format("| %s | %s | %s | `%s` | %s | %s | %s |", cell(x.label), x.role, cell(x.addresses),
      x.class, x.confidence or "", cell(x.where), x.started))
  end
  p("")
  p("## Affected source addresses")
  p("")
  for _, r in ipairs(m.clients) do
    if r.verdict.class ~= "OK" then
      p(string.format("- %s: %s", cell(reportfile.vantage(r)), table.concat((r.vantage or {}).addresses or {}, ", ")))
    end
  end
  p("")
  p("## Each report")
  p("")
  for _, r in ipairs(m.clients) do
    p(string.format("### %s (%s)", reportfile.vantage(r), r._file or "?"))
    p("")
    p(string.format("`%s` — %s", r.verdict.class, r.verdict.summary or ""))
    for _, why in ipairs(r.verdict.reasons or {}) do p("- " .. why) end
    p("")
  end
  for _, r in ipairs(m.servers) do
    p(string.format("### Server: %s (%s)", reportfile.vantage(r), r._file or "?"))
    p("")
    p(string.format("`%s` — %s", r.verdict.class, r.verdict.summary or ""))
    for _, why in ipairs(r.verdict.reasons or {}) do p("- " .. why) end
    p("")
  end
  p("---\nMerged by nrb from " .. #m.vantages .. " reports")
  return table.concat(out, "\n") .. "\n"
end

return M
