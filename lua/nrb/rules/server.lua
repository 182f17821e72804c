-- nrb.rules.server: the server-side runbook's judgement (issue 8): run on the server while
-- the client reproduces, it says what this host does to the client's flow — nothing listens
-- (SERVICE_DOWN), its firewall drops or rejects it (SERVER_FIREWALL, rule named), the
-- client's SYNs arrive and nothing answers them (SERVER_FIREWALL), or nothing here stops
-- it (OK: the SYNs arrive and are answered, or none arrived at all) — and records that
-- view in verdict.server_view for `nrb merge` (doc/evidence.md `server_view`).  The capture
-- (capture_start/capture_stop around the other steps) is what says whether SYNs arrived;
-- without it (no privilege) the verdict rests on the listener and the firewall alone.
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
      if r.uses == "capture_stop" and e.status == "ok" then ev.capture = ev.capture or e
      elseif (r.uses == "capture_start" or r.uses == "capture_stop") and e.status == "not_started" then
        ev.capture_error = ev.capture_error or tostring(e.error or "not started")
      elseif r.uses == "listening" then ev.listening = ev.listening or e
      elseif r.uses == "fw" then ev.fw = ev.fw or e
      elseif r.uses == "fw_hits" and e.status == "ok" then ev.fw_hits = ev.fw_hits or e
      elseif r.uses == "traces" then ev.trace = ev.trace or e.icmp
      elseif r.uses == "trace" then ev.trace = ev.trace or e
      elseif r.uses == "mtr" then ev.mtr = ev.mtr or e end
    end
  end
  return ev
end

-- The client's flow in a capture: its connection attempts to the port (the originator is
-- the peer, the responder this host's port; the server's own traces towards the peer are
-- other connections), the SYNs they carried and what left in reply.
--   flow(capture, peer, port) -> {syns, conns, syn_acks, rsts, icmps, answered =
--     "syn_ack"|"rst"|"icmp"|"none", states = "S0 S0", interface, ran_s}
function M.flow(cap, peer, port)
  local addr = cap.address or peer
  local f = { syns = 0, conns = 0, syn_acks = 0, rsts = 0, icmps = 0, interface = cap.interface }
  local states = {}
  for _, c in ipairs(cap.connections or {}) do
    local o, r = c.orig or {}, c.resp or {}
    if o.address == addr and r.port == port then
      f.conns = f.conns + 1
      f.syns = f.syns + (o.syns or 0)
      f.syn_acks = f.syn_acks + (r.syns or 0)
      if r.rst then f.rsts = f.rsts + 1 end
      for _, i in ipairs(c.icmp or {}) do
        local e = (cap.icmp or {})[i]
        if e and e.to == addr then f.icmps = f.icmps + 1 end
      end
      states[#states + 1] = c.state
    end
  end
  f.states = table.concat(states, " ")
  f.answered = f.syn_acks > 0 and "syn_ack" or f.rsts > 0 and "rst" or f.icmps > 0 and "icmp" or "none"
  if type(cap.ran_ms) == "number" then f.ran_s = math.floor(cap.ran_ms / 1000 + 0.5) end
  return f
end

local ANSWERED = {
  syn_ack = { "SYN-ACK", "SYN-ACK" }, rst = { "RST (refused)", "RST（拒绝）" },
  icmp = { "an ICMP error", "ICMP 差错" }, none = { "nothing", "无" },
}

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
  -- rules (and chain policies) that drop or reject, whose counters rose in the window
  local blocking = {}
  for _, h in ipairs(ev.fw_hits and ev.fw_hits.hits or {}) do
    if h.verdict == "drop" or h.verdict == "reject" then blocking[#blocking + 1] = h end
  end
  if ev.fw_hits then
    sv.fw_hits = {}
    for i, h in ipairs(blocking) do
      if i > 5 then break end
      sv.fw_hits[i] = { ref = h.ref, packets = h.packets, verdict = h.verdict, kind = h.kind }
    end
  end
  local args = { proto = ev.proto, port = ev.port, peer = ev.peer or "?" }
  local cap, f = ev.capture, nil
  if cap then
    f = M.flow(cap, ev.peer, ev.port)
    sv.syn_seen, sv.answered, sv.interface = f.syns, f.syns > 0 and f.answered or "none", f.interface
    sv.capture_started, sv.capture_stopped = cap.started, cap.stopped
    sv.capture_s = f.ran_s
    args.syns, args.window, args.answered_text, args.answered_text_zh =
      f.syns, f.ran_s or "?", ANSWERED[f.answered][1], ANSWERED[f.answered][2]
  end
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
  elseif f and f.syns > 0 and f.answered == "none" then
    -- they arrive, nothing leaves: something on this host drops them (the firewall as
    -- read says accept, or could not be read in full)
    -- a drop/reject rule whose counters rose in the window makes it more than likely
    v.class, v.confidence = "SERVER_FIREWALL", #blocking > 0 and "high" or "medium"
    summary("server_syn_unanswered_summary", args)
  elseif f and f.syns > 0 then
    v.class, v.confidence = "OK", f.answered == "syn_ack" and "high" or "medium"
    summary("server_answered_summary", args)
  elseif f then
    v.class, v.confidence = "OK", "medium"
    summary("server_arrived_none_summary", args)
  else
    v.class, v.confidence = "OK", "medium"
    summary("server_ok_summary", args)
  end
  if l and l.status == "listening" then
    local addrs = {}
    for _, k in ipairs(l.sockets or {}) do addrs[#addrs + 1] = k.address end
    reason("server_listening", { n = #(l.sockets or {}), proto = ev.proto, port = ev.port, addresses = table.concat(addrs, ", ") })
  end
  if v.class == "SERVER_FIREWALL" and f and fw and fw.decision ~= "drop" and fw.decision ~= "reject" then
    reason("server_fw_says", { decision = tostring(fw.decision), rule = sv.fw_rule or "no rule named" })
  end
  if not f and v.class == "OK" then reason("server_no_capture", {}) end
  if ev.fw_hits then
    for i, h in ipairs(blocking) do
      if i > 3 then break end
      reason("server_fw_hit", { kind = h.kind == "policy" and "the policy of chain" or "rule",
        kind_zh = h.kind == "policy" and "链策略" or "规则", ref = h.ref, chain = h.chain, table = h.table,
        packets = h.packets, verdict = h.verdict, text = h.text or ("policy " .. tostring(h.verdict)) })
    end
    if #blocking == 0 then reason("server_fw_no_hits", {}) end
  end
  if f then
    local ca = { interface = f.interface or "?", window = f.ran_s or "?", syns = f.syns, conns = f.conns,
                 peer = ev.peer or "?", port = ev.port, answered_text = args.answered_text,
                 answered_text_zh = args.answered_text_zh }
    if f.syns > 0 then
      reason("server_capture_syns", ca)
    else
      reason("server_capture_none", ca)
      reason("server_capture_none_caveat", {})
    end
    local want = cap.min_ms and math.floor(cap.min_ms / 1000 + 0.5)
    if want and cap.wait and cap.wait ~= "elapsed" then
      reason("server_capture_cut", { ran = f.ran_s or "?", window = want,
        why = cap.wait == "done" and tostring(cap.stopped_by) or cap.wait })
      if f.syns == 0 and v.confidence == "medium" then v.confidence = "low" end
    end
  elseif ev.capture_error then
    reason("server_capture_failed", { error = (ev.capture_error:match("^[^\n]*")) })
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
