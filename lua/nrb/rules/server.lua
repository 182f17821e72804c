-- nrb.rules.server: the server-side runbook's judgement (issue 8): run on the server while
-- the client reproduces, it says what this host does to the client's flow — nothing listens
-- (SERVICE_DOWN), its firewall drops or rejects it (SERVER_FIREWALL, rule named), or nothing
-- here stops it (OK, with the reverse path to the client) — and records that view in
-- verdict.server_view for `nrb merge` (doc/evidence.md).
local i18n = require "nrb.i18n"

local M = {}

-- Evidence by step kind: listening, fw (inbound), trace/traces and mtr towards the peer.
function M.gather(ctx)
  local p = ctx.params or {}
  local ev = { peer = p.peer, port = p.port, proto = p.proto or "tcp", unavailable = {} }
  for _, r in ipairs(ctx.records or {}) do
    local e = r.evidence
    if type(e) == "table" and e.status == "error" and e.error then
      ev.unavailable[#ev.unavailable + 1] = string.format("%s: %s", r.id or r.uses, (tostring(e.error):match("^[^\n]*")))
    elseif r.status == "ok" or r.status == "failed" then
      if r.uses == "listening" then ev.listening = ev.listening or e
      elseif r.uses == "fw" then ev.fw = ev.fw or e
      elseif r.uses == "traces" then ev.trace = ev.trace or e.icmp
      elseif r.uses == "trace" then ev.trace = ev.trace or e
      elseif r.uses == "mtr" then ev.mtr = ev.mtr or e end
    end
  end
  return ev
end

function M.decide(ev)
  local v = { reasons = {}, suggestions = {}, i18n = { zh = { reasons = {}, suggestions = {} } },
              proto = ev.proto, port = ev.port }
  local function reason(id, args)
    local t = i18n.text(id, args)
    v.reasons[#v.reasons + 1] = t.en
    v.i18n.zh.reasons[#v.i18n.zh.reasons + 1] = t.zh
  end
  local function summary(id, args)
    local t = i18n.text(id, args)
    v.summary, v.i18n.zh.summary = t.en, t.zh
  end
  local sv = {}
  v.server_view = sv
  local l, fw = ev.listening, ev.fw
  if l then sv.listening = l.status == "listening" end
  if fw then
    sv.fw_decision = fw.decision
    sv.fw_rule = fw.rule and (fw.rule.ref or fw.rule.text) or nil
  end
  local args = { proto = ev.proto, port = ev.port, peer = ev.peer or "?" }
  if l and l.status ~= "listening" then
    v.class, v.confidence = "SERVICE_DOWN", "high"
    summary("server_not_listening", args)
    reason("server_not_listening", args)
  elseif fw and (fw.decision == "drop" or fw.decision == "reject") then
    v.class, v.confidence = "SERVER_FIREWALL", "high"
    local t = { decision = fw.decision, decision_zh = fw.decision == "drop" and "丢弃" or "拒绝",
                proto = ev.proto, port = ev.port, peer = ev.peer or "?", direction = fw.direction or "input",
                rule = sv.fw_rule or "(rule not identified)" }
    summary("server_fw", t)
    reason("server_fw", t)
    if fw.manager then reason("local_fw_manager", { manager = fw.manager }) end
  else
    v.class, v.confidence = "OK", "medium"
    summary("server_ok_summary", args)
    if l then
      local addrs = {}
      for _, k in ipairs(l.sockets or {}) do addrs[#addrs + 1] = k.address end
      reason("server_listening", { n = #(l.sockets or {}), proto = ev.proto, port = ev.port, addresses = table.concat(addrs, ", ") })
    end
    reason("server_no_capture", {})
  end
  local t = ev.trace
  if t then
    local how = t.reached and string.format("reached at hop %s", tostring(t.reached_ttl))
      or string.format("silent after hop %s (%s)", tostring(t.last_ttl or 0), tostring(t.last_address or "?"))
    reason("reverse_path", { peer = ev.peer or "?", how = how })
  end
  if #ev.unavailable > 0 then
    reason("unavailable", { what = table.concat(ev.unavailable, "; ") })
    if v.confidence == "high" then v.confidence = "medium" end
  end
  if fw and fw.decision == "uncertain" then
    reason("fw_uncertain", { notes = table.concat(fw.notes or { "no details" }, "; ") })
    if v.class == "OK" then v.confidence = "low" end
  end
  local sugg = i18n.suggestions[v.class == "OK" and "SERVER_SIDE_OK" or v.class] or {}
  for _, s in ipairs(sugg) do
    v.suggestions[#v.suggestions + 1] = s.en
    v.i18n.zh.suggestions[#v.i18n.zh.suggestions + 1] = s.zh
  end
  return v
end

function M.verdict(ctx)
  return M.decide(M.gather(ctx))
end

return M
