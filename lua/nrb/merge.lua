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
-- interface, capture_s, capture_started, capture_stopped (RFC 3339), listening = bool,
-- fw_decision = "accept"|"drop"|"reject"|..., fw_rule = "..."}; syn_seen is nil when the
-- server had no capture.  M.apply_server says how it settles the client's verdict.
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

-- Every address a client's report saw on its path: hops of its traces (a `traces` step's
-- icmp/udp/tcp, `trace` steps) and of its per-hop statistics.  -> set {address = true},
-- and whether the report had any path evidence at all.
function M.path_addresses(r)
  local seen, any = {}, false
  local function hops(t)
    if type(t) ~= "table" or type(t.hops) ~= "table" then return end
    any = true
    for _, h in ipairs(t.hops) do
      if type(h) == "table" then
        if type(h.address) == "string" then seen[h.address] = true end
        for _, a in ipairs(type(h.addresses) == "table" and h.addresses or {}) do
          if type(a) == "string" then seen[a] = true end
        end
      end
    end
  end
  for _, st in ipairs(r.steps or {}) do
    local e = type(st.evidence) == "table" and st.evidence or {}
    hops(e)
    for _, proto in ipairs({ "icmp", "udp", "tcp" }) do hops(e[proto]) end
  end
  return seen, any
end

-- The client's trace to the service port (from its report's steps: a `traces` step's
-- tcp/udp trace, or a `trace` step of that protocol): where it stopped.
-- -> {last_ttl, last_address, reached} or nil
function M.port_trace(r)
  local proto = (r.target or {}).proto == "udp" and "udp" or "tcp"
  for _, st in ipairs(r.steps or {}) do
    local e = type(st.evidence) == "table" and st.evidence or {}
    local t = type(e[proto]) == "table" and e[proto] or nil
    if t and t.last_ttl ~= nil then return t end
  end
  return nil
end

-- Did the server's capture run while the client ran?  true, false (no overlap), or nil
-- (no times to compare).  Times are whole seconds (RFC 3339 of each host's clock).
local function overlap(sv, c)
  local a, b = reportfile.epoch(sv.capture_started), reportfile.epoch(sv.capture_stopped)
  local x, y = reportfile.epoch(c.started), reportfile.epoch(c.finished)
  if not (a and b and x and y) then return nil end
  return x <= b + 1 and y >= a - 1, x >= a - 1 and y <= b + 1
end

local ANSWER = { syn_ack = "SYN-ACK", rst = "RST", icmp = "an ICMP error", none = "nothing" }

-- Fold one server-side report's view into the merged verdict v (first: the failing client
-- whose verdict v started from).
--   nothing listens                                  -> SERVICE_DOWN, high
--   its firewall drops/rejects the flow (SYNs seen,
--     or no capture)                                 -> SERVER_FIREWALL, high
--   SYNs arrived, nothing left in reply              -> SERVER_FIREWALL, high
--   SYNs arrived and were answered with SYN-ACK      -> ROUTING (the way back), medium
--   no SYN arrived during a capture that covered the client's run, and the client blamed
--     the server or the path next to it              -> PATH_FIREWALL at the last hop the
--     client's port trace saw (the last router), high; other client verdicts that put the
--     fault before the server are confirmed (high)
function M.apply_server(v, s, first)
  local sv = s.verdict.server_view or {}
  local who = reportfile.vantage(s)
  local target_addr = first.target and first.target.address
  local seen = sv.syn_seen
  if seen ~= nil then
    local any, all = overlap(sv, first)
    if any == false then
      v.reasons[#v.reasons + 1] = string.format(
        "%s: its capture (%s to %s) did not run while %s ran (%s to %s): its SYN count says nothing about this run",
        who, tostring(sv.capture_started), tostring(sv.capture_stopped), reportfile.vantage(first),
        tostring(first.started), tostring(first.finished))
      seen = nil
    elseif any and not all then
      v.reasons[#v.reasons + 1] = string.format("%s: its capture covered only part of %s's run",
        who, reportfile.vantage(first))
    end
  end
  local on = sv.interface and (" on " .. sv.interface) or ""
  if sv.listening == false then
    v.class, v.confidence, v.hop, v.address = "SERVICE_DOWN", "high", nil, target_addr
    v.summary = string.format("nothing listens on %s/%s on the server", tostring(v.proto), tostring(v.port))
    v.reasons[#v.reasons + 1] = who .. ": no socket listens on the port" .. ((seen or 0) > 0 and
      string.format("; %d SYN(s) from the client arrived%s and %s answered them", seen, on, ANSWER[sv.answered] or "?") or "")
  elseif seen ~= 0 and (sv.fw_decision == "drop" or sv.fw_decision == "reject") then
    -- the server's own firewall would stop the flow (and, with a capture, SYNs arrived)
    v.class, v.confidence, v.address = "SERVER_FIREWALL", "high", target_addr
    v.hop = type(first.verdict.hop) == "number" and first.verdict.hop or nil
    v.summary = string.format("the server's firewall %ss the client's %s/%s%s", sv.fw_decision,
      tostring(v.proto), tostring(v.port), sv.fw_rule and (": " .. sv.fw_rule) or "")
    v.reasons[#v.reasons + 1] = string.format("%s: %sthe firewall decision for the client's flow is %s%s", who,
      seen and string.format("%d SYN(s) from the client arrived%s, %s left in reply; ", seen, on, ANSWER[sv.answered] or "?") or "",
      sv.fw_decision, sv.fw_rule and (" by " .. sv.fw_rule) or "")
  elseif (seen or 0) > 0 and sv.answered == "none" then
    v.class, v.confidence, v.address = "SERVER_FIREWALL", "high", target_addr
    v.hop = type(first.verdict.hop) == "number" and first.verdict.hop or nil
    v.summary = string.format("the client's %s/%s packets reach the server and are dropped there: nothing answers them",
      tostring(v.proto), tostring(v.port))
    v.reasons[#v.reasons + 1] = string.format(
      "%s: %d SYN(s) from the client arrived%s and nothing left in reply (no SYN-ACK, RST or ICMP); its firewall as read says %s",
      who, seen, on, tostring(sv.fw_decision or "unknown"))
  elseif (seen or 0) > 0 and sv.answered == "syn_ack" then
    v.class, v.confidence = "ROUTING", "medium"
    v.summary = "the server answers the client's SYNs but the answers do not reach the client: the return path"
    v.reasons[#v.reasons + 1] = string.format("%s: %d SYN(s) arrived%s and were answered with SYN-ACK", who, seen, on)
    if type(s.verdict.hop) == "number" then v.hop, v.address = s.verdict.hop, s.verdict.address end
  elseif seen == 0 then
    v.reasons[#v.reasons + 1] = string.format("%s: no SYN from the client reached the server%s during its %s s capture, which covered the client's run",
      who, on, tostring(sv.capture_s or "?"))
    local tr = M.port_trace(first)
    if v.class == "SERVER_FIREWALL" then
      -- the client could not tell the server from the last router; the server can
      v.class = "PATH_FIREWALL"
      if tr and not tr.reached and type(tr.last_ttl) == "number" then
        v.hop, v.address = tr.last_ttl, tr.last_address
      else
        v.hop = type(first.verdict.hop) == "number" and first.verdict.hop - 1 or nil
        v.address = nil
      end
      v.summary = string.format(
        "the client's %s/%s packets stop before the server: a filter on the last router before it (hop %s%s) or at the provider's edge",
        tostring(v.proto), tostring(v.port), tostring(v.hop or "?"),
        type(v.address) == "string" and (", " .. v.address) or "")
      v.reasons[#v.reasons + 1] = string.format(
        "the client's %s trace to the port is answered up to hop %s (%s) and silent after it; the server never saw the SYNs: the packets are dropped after that hop, before the server",
        (first.target or {}).proto or "tcp", tostring(tr and tr.last_ttl or "?"), tostring(tr and tr.last_address or "?"))
    elseif v.class == "PATH_FIREWALL" or v.class == "ROUTING" then
      v.reasons[#v.reasons + 1] = "the server's capture confirms the client's verdict: the packets stop in the path"
    end
    if v.class == "PATH_FIREWALL" or v.class == "ROUTING" then v.confidence = "high" end
  end
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
      -- is the device blamed on the working paths too?  If not, the working vantage points
      -- go around it; if it is, it lets them through: it filters by source, not by path.
      local blamed = type(v.address) == "string" and v.address ~= target.address and v.address or nil
      if blamed then
        local around, through = {}, {}
        for _, r in ipairs(ok) do
          local seen, any = M.path_addresses(r)
          if seen[blamed] then through[#through + 1] = r
          elseif any then around[#around + 1] = r end
        end
        local at = type(v.hop) == "number" and string.format("%s (hop %d)", blamed, v.hop) or blamed
        if #around > 0 then
          v.reasons[#v.reasons + 1] = string.format("%s is not on the path from %s: they go around it",
            at, labels(around))
        end
        if #through > 0 then
          v.reasons[#v.reasons + 1] = string.format(
            "%s is on the path from %s too, which works: the device treats sources differently (a rule on source addresses, not the path)",
            at, labels(through))
          v.confidence = lower(v.confidence)
        end
      end
    end
    -- the server's view settles what the client alone cannot
    for _, s in ipairs(servers) do
      M.apply_server(v, s, first)
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
