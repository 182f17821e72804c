-- nrb.rules.standard: the decision procedure of the standard runbook (seed 000 step 11
-- and its Q&A), from evidence alone.  Never touches the network; unit-tested from
-- recorded evidence (tests/lua/rules_standard_test.lua).
--
--   decide(ev) -> verdict {class, hop, address, proto, port, confidence, summary, reasons,
--                          suggestions, i18n = {zh = {summary, reasons, suggestions}}}
--
-- ev holds the evidence of doc/evidence.md under fixed names (all optional except target):
--   target = {host, address, proto, port}, resolve, route, fw, ping, mtr, pmtu, udp,
--   tcp (connect attempts to the port), syn (half-open probe to the port),
--   compare (connect/syn to a comparison port on the same host),
--   trace = {icmp, udp, tcp}   (tcp: to the port; udp: to the port for UDP services),
--   trace_compare (tcp trace to the comparison port), capture.
--
-- Order of the questions, each answered only when the evidence for it exists:
--   1 does the name resolve          -> DNS_FAILURE
--   2 does this host have a route    -> LOCAL_ROUTE
--   3 does this host's firewall pass -> LOCAL_FIREWALL
--   4 what answers the port: a reset (genuine -> SERVICE_DOWN, forged -> FORGED_RST), an
--     ICMP error (from the target -> SERVER_FIREWALL, from a router: prohibited ->
--     PATH_FIREWALL, unreachable -> ROUTING), silence (traces decide: every protocol
--     stops at one hop -> ROUTING; only the port's trace stops -> PATH_FIREWALL; only the
--     destination is silent -> SERVER_FIREWALL), or the service (then: PMTU blackhole?
--     persistent loss? ICMP filtered? else OK).
-- Hops that are silent or only rate-limit ICMP are never blamed: a hop is blamed only
-- where everything after it is silent or lost.
local i18n = require "nrb.i18n"
local loss = require "nrb.loss"

local M = {}

-- Loss thresholds for per-hop statistics (percent): nrb.loss, which also labels each mtr
-- hop's loss in the evidence with the same reading.
M.LOSS_DEST_MIN = loss.DEST_MIN
M.LOSS_PERSIST_FRAC = loss.PERSIST_FRAC
M.HIGH_RTT_MS = 150

local function initial_ttl(ttl)
  if ttl <= 64 then return 64 elseif ttl <= 128 then return 128 end
  return 255
end

-- Hops travelled by a packet that arrived with this TTL (routers decremented it).
local function hops_from_ttl(ttl)
  return initial_ttl(ttl) - ttl
end

-- A verdict builder that keeps English and Chinese side by side.
local function verdict(class, conf, ev)
  local v = { class = class, confidence = conf, reasons = {}, suggestions = {},
              i18n = { zh = { reasons = {}, suggestions = {} } },
              proto = ev.target.proto, port = ev.target.port }
  function v.reason(id, args)
    local t = i18n.text(id, args)
    v.reasons[#v.reasons + 1] = t.en
    v.i18n.zh.reasons[#v.i18n.zh.reasons + 1] = t.zh
  end
  function v.summary_of(id, args)
    local t = i18n.text(id, args)
    v.summary = t.en
    v.i18n.zh.summary = t.zh
  end
  return v
end

-- RFC 1918 / RFC 6598 / unique-local addresses: a device there is in the operator's own
-- network (seed 003: a private hop means the local network, otherwise the carrier).
function M.is_private(a)
  if type(a) ~= "string" then return false end
  local o1, o2 = a:match("^(%d+)%.(%d+)%.%d+%.%d+$")
  if o1 then
    o1, o2 = tonumber(o1), tonumber(o2)
    return o1 == 10 or (o1 == 172 and o2 >= 16 and o2 <= 31) or (o1 == 192 and o2 == 168)
      or (o1 == 100 and o2 >= 64 and o2 <= 127)
  end
  local first = a:lower():match("^(%x+):") -- fc00::/7: the first group is fcXX or fdXX
  return first ~= nil and #first == 4 and (first:sub(1, 2) == "fc" or first:sub(1, 2) == "fd")
end

local function finish(v, ev)
  if (v.class == "PATH_FIREWALL" or v.class == "ROUTING" or v.class == "FORGED_RST") and type(v.address) == "string"
      and v.address ~= ev.target.address then
    v.reason(M.is_private(v.address) and "private_hop" or "public_hop", { address = v.address })
  end
  for _, s in ipairs(i18n.suggestions[v.class] or {}) do
    v.suggestions[#v.suggestions + 1] = s.en
    v.i18n.zh.suggestions[#v.i18n.zh.suggestions + 1] = s.zh
  end
  v.suggestions[#v.suggestions + 1] = i18n.regression.en
  v.i18n.zh.suggestions[#v.i18n.zh.suggestions + 1] = i18n.regression.zh
  -- degraded evidence caps the confidence
  local degraded = {}
  for _, k in ipairs({ "ping", "mtr", "pmtu", "syn", "udp" }) do
    if ev[k] and ev[k].degraded then degraded[#degraded + 1] = k .. ": " .. ev[k].degraded end
  end
  for p, t in pairs(ev.trace or {}) do
    if t.degraded then degraded[#degraded + 1] = p .. " trace: " .. t.degraded end
  end
  if #degraded > 0 then
    table.sort(degraded)
    v.reason("degraded", { what = table.concat(degraded, "; ") })
    if v.confidence == "high" then v.confidence = "medium" end
  end
  if ev.unavailable and #ev.unavailable > 0 then
    v.reason("unavailable", { what = table.concat(ev.unavailable, "; ") })
    if v.confidence == "high" then v.confidence = "medium" end
  end
  if ev.fw and ev.fw.decision == "uncertain" then
    v.reason("fw_uncertain", { notes = table.concat(ev.fw.notes or { "no details" }, "; ") })
  end
  v.reason, v.summary_of = nil, nil
  return v
end

-- Address of the device at ttl in any trace.
local function hop_address(ev, ttl)
  for _, p in ipairs({ "icmp", "udp", "tcp" }) do
    local t = ev.trace and ev.trace[p]
    local h = t and t.hops and t.hops[ttl]
    if h and h.addresses and h.addresses[1] then return h.addresses[1] end
  end
  return nil
end

-- TTL at which address answered in any trace.
local function ttl_of(ev, address)
  for _, p in ipairs({ "icmp", "udp", "tcp" }) do
    local t = ev.trace and ev.trace[p]
    for ttl, h in ipairs(t and t.hops or {}) do
      for _, a in ipairs(h.addresses or {}) do
        if a == address then return ttl end
      end
    end
  end
  return nil
end

-- Distance of the destination: the TTL at which some trace reached it.
local function dest_distance(ev)
  local best
  for _, t in pairs(ev.trace or {}) do
    if t.reached and t.reached_ttl and (not best or t.reached_ttl < best) then best = t.reached_ttl end
  end
  if not best and ev.trace_compare and ev.trace_compare.reached then best = ev.trace_compare.reached_ttl end
  return best
end

-- TTL of genuine packets from the target (as received), for reset provenance.
local function genuine_ttl(ev)
  if ev.compare and ev.compare.status == "syn_ack" and ev.compare.reply_ttl then return ev.compare.reply_ttl, "SYN-ACK on the comparison port" end
  for _, p in ipairs({ "tcp", "icmp", "udp" }) do
    local t = ev.trace and ev.trace[p]
    if t and t.reached and t.dest_reply_ttl and t.dest_answer ~= "rst" then
      return t.dest_reply_ttl, p .. " trace answer"
    end
  end
  if ev.trace_compare and ev.trace_compare.reached and ev.trace_compare.dest_reply_ttl then
    return ev.trace_compare.dest_reply_ttl, "comparison-port trace answer"
  end
  if ev.ping and ev.ping.reply_ttl then return ev.ping.reply_ttl, "echo replies" end
  return nil
end

-- How did the port answer?  -> "open", "rst", "icmp", "silent", or nil (no port probe)
local function port_answer(ev)
  local proto = ev.target.proto
  if proto == "udp" then
    local u = ev.udp
    if not u then return nil end
    if u.status == "answer" then return "open" end
    if u.status == "port_unreachable" or u.status == "icmp" then return "icmp", u.icmp or { from = u.from, kind = "port_unreachable" } end
    return "silent"
  end
  local s, c = ev.syn, ev.tcp
  if s then
    if s.status == "syn_ack" then return "open" end
    if s.status == "rst" then return "rst" end
    if s.status == "icmp" then return "icmp", s.icmp end
  end
  if c then
    if c.status == "connected" or (c.connected or 0) > 0 then return "open" end
    if c.status == "refused" then return "rst" end
    if c.status == "unreachable" then return "icmp", nil end
  end
  -- a lost SYN (a lossy path) is not a filter: the TCP trace to the port also asks the
  -- port, with several probes; its answer counts
  local tr = ev.trace and ev.trace.tcp
  if tr and tr.reached and tr.dest_answer == "syn_ack" then return "open" end
  if (s or c) and tr and tr.reached and tr.dest_answer == "rst" then return "rst" end
  if s or c then return "silent" end
  return nil
end

-- Does anything else reach the target?  Returns a list of phrases (en, zh).
local function others_reach(ev)
  local en, zh = {}, {}
  if ev.trace and ev.trace.icmp and ev.trace.icmp.reached then
    en[#en + 1] = "the ICMP trace reaches the target"; zh[#zh + 1] = "ICMP 路由跟踪可以到达目标"
  end
  if ev.trace and ev.target.proto == "tcp" and ev.trace.udp and ev.trace.udp.reached then
    en[#en + 1] = "the UDP trace reaches the target"; zh[#zh + 1] = "UDP 路由跟踪可以到达目标"
  end
  local cmp = ev.compare
  if cmp and (cmp.status == "connected" or cmp.status == "syn_ack" or (cmp.connected or 0) > 0) then
    en[#en + 1] = string.format("TCP port %s on the same host answers", tostring(cmp.port))
    zh[#zh + 1] = string.format("同一主机的 TCP 端口 %s 有响应", tostring(cmp.port))
  elseif ev.trace_compare and ev.trace_compare.reached then
    en[#en + 1] = string.format("the TCP/%s trace reaches the target", tostring(ev.trace_compare.port))
    zh[#zh + 1] = string.format("TCP/%s 路由跟踪可以到达目标", tostring(ev.trace_compare.port))
  end
  if ev.ping and (ev.ping.received or 0) > 0 then
    en[#en + 1] = "ping gets replies"; zh[#zh + 1] = "ping 有回复"
  end
  return en, zh
end

local function join_en(list)
  if #list <= 1 then return list[1] or "" end
  return table.concat(list, ", ", 1, #list - 1) .. " and " .. list[#list]
end

-- Per-hop statistics: the first hop from which loss persists to the destination, and
-- that destination (nrb.loss.persistent_start), or nil.
M.fisher_lower = loss.fisher_lower
M.LOSS_SIGNIFICANCE = loss.SIGNIFICANCE

function M.persistent_loss(mtr)
  local hops = mtr and mtr.hops
  local start = loss.persistent_start(hops)
  if not start then return nil end
  return hops[start], hops[#hops]
end

-- Hops whose loss does not continue (rate limiting) and hops that never answer while
-- later ones do (no TTL-exceeded): noted, never blamed.
local function benign_notes(v, ev)
  local mtr = ev.mtr
  if mtr and mtr.hops then
    local n = #mtr.hops
    for i, h in ipairs(mtr.hops) do
      if i < n and loss.later_hop_better(mtr.hops, i) then
        if (h.received or 0) == 0 and (h.sent or 0) > 0 then
          v.reason("silent_hop_note", { ttl = i })
        elseif (h.loss_pct or 0) > 0 then
          v.reason("local_loss_note", { ttl = i, address = h.address or "?", loss = h.loss_pct })
        end
      end
    end
  else
    local t = ev.trace and (ev.trace.icmp or ev.trace.tcp)
    if t and t.hops then
      for i, h in ipairs(t.hops) do
        if i < (t.last_ttl or 0) and (h.received or 0) == 0 then v.reason("silent_hop_note", { ttl = i }) end
      end
    end
  end
end

-- FORGED_RST from a reset the capture judged injected (it saw the packet itself); first(v),
-- if given, adds reasons ahead of the capture's own.
local function forged_from_capture(ev, r, first)
  local t = ev.target
  local v = verdict("FORGED_RST", "high", ev)
  v.hop = r.hops_away
  v.address = r.hops_away and hop_address(ev, r.hops_away) or nil
  v.summary_of("forged_rst_summary", { hop = r.hops_away or "?", at = v.address and (" (" .. v.address .. ")") or "",
    address = t.address, port = t.port })
  if first then first(v) end
  for _, why in ipairs(r.reasons or {}) do v.reason("capture_injected", { text = why }) end
  return v
end

-- The handshake works but the request the users send is reset: who sent the reset?
local function request_reset(ev)
  local t = ev.target
  for _, r in ipairs(ev.capture and ev.capture.resets or {}) do
    if r.verdict == "injected" then
      return forged_from_capture(ev, r, function(v)
        v.reason("request_reset", { address = t.address, port = t.port, sent = ev.request.sent or "?" })
      end)
    end
  end
  for _, r in ipairs(ev.capture and ev.capture.resets or {}) do
    if r.verdict == "server" then
      -- the server's own stack sent it: nothing in the network, look at the application
      local v = verdict("OK", "medium", ev)
      v.address = t.address
      v.summary_of("request_reset_by_server_summary", { address = t.address, port = t.port })
      v.reason("request_reset", { address = t.address, port = t.port, sent = ev.request.sent or "?" })
      for _, why in ipairs(r.reasons or {}) do v.reason("capture_injected", { text = why }) end
      return v
    end
  end
  local v = verdict("FORGED_RST", "low", ev)
  v.address = t.address
  v.summary_of("request_reset_summary", { address = t.address, port = t.port })
  v.reason("request_reset", { address = t.address, port = t.port, sent = ev.request.sent or "?" })
  v.reason("request_reset_unknown", {})
  return v
end

local function service_reachable(ev, v0)
  local t = ev.target
  local address = t.address
  if ev.request and ev.request.request and ev.request.request.status == "reset" then
    return request_reset(ev)
  end
  -- PMTU blackhole: the handshake passes, full-size packets do not
  local pm = ev.pmtu
  if pm and pm.status == "blackhole" then
    local v = verdict("PMTU_BLACKHOLE", "high", ev)
    v.address = pm.hop_address or address
    v.hop = pm.hop
    v.summary_of("pmtu_summary", { address = address, ok = pm.path_mtu or "?" })
    v.reason("pmtu_blackhole", { lost = pm.smallest_lost or "?", ok = pm.path_mtu or "?" })
    if pm.hop then
      v.reason(pm.next_hop and "pmtu_located_next" or "pmtu_located", { ttl = pm.hop, address = pm.hop_address,
        lost = pm.smallest_lost or "?", next = pm.next_hop, next_address = pm.next_hop_address })
    else
      v.reason("pmtu_not_located", { lost = pm.smallest_lost or "?" })
    end
    if ev.capture and ev.capture.large_packet_loss then
      v.reason("capture_injected", { text = ev.capture.large_packet_loss })
    end
    return v
  end
  -- loss that starts at a hop and persists to the destination
  local from, dest = M.persistent_loss(ev.mtr)
  if from then
    local v = verdict("ROUTING", "medium", ev)
    v.hop = from.ttl
    v.address = from.address
    v.summary_of("persistent_loss_summary", { ttl = from.ttl, address = from.address or "?", address_dst = address })
    v.reason("persistent_loss", { ttl = from.ttl, address = from.address or "?", loss = from.loss_pct, dest_loss = dest.loss_pct })
    if (dest.loss_pct or 0) >= 20 then v.confidence = "high" end
    return v
  end
  -- ping fails while the service answers: ICMP filtered
  local p = ev.ping
  if p and (p.sent or 0) > 0 and (p.received or 0) == 0 then
    local v = verdict("ICMP_FILTERED", "high", ev)
    v.address = address
    v.hop = dest_distance(ev) -- the device that filters is the target itself, or next to it
    v.summary_of("icmp_filtered_summary", { address = address, proto = t.proto, port = t.port })
    v.reason("icmp_filtered", { address = address, loss = p.loss_pct or 100, proto = t.proto, port = t.port })
    return v
  end
  local v = verdict("OK", "high", ev)
  v.summary_of("ok_summary", { proto = t.proto, port = t.port, address = address })
  v.reason("service_ok", { proto = t.proto, port = t.port, address = address, how = v0 })
  local rtt = p and p.rtt_avg_ms or (ev.tcp and ev.tcp.rtt_avg_ms)
  if rtt and rtt >= M.HIGH_RTT_MS then v.reason("latency_note", { rtt = rtt }) end
  benign_notes(v, ev)
  return v
end

local function reset_verdict(ev)
  local t = ev.target
  local rst_ttl = ev.syn and ev.syn.status == "rst" and ev.syn.reply_ttl
  -- a capture that already judged the reset wins: it saw the packet itself
  for _, r in ipairs(ev.capture and ev.capture.resets or {}) do
    if r.verdict == "injected" then return forged_from_capture(ev, r) end
    rst_ttl = rst_ttl or r.ttl
  end
  local gttl, source = genuine_ttl(ev)
  if rst_ttl and gttl then
    local rh, gh = hops_from_ttl(rst_ttl), hops_from_ttl(gttl)
    if rh ~= gh then
      -- the injector sits rh+1 hops away (it sent with a full TTL, rh routers decremented it)
      local hop = rh + 1
      local v = verdict("FORGED_RST", rh < gh and "high" or "medium", ev)
      v.hop = hop
      v.address = hop_address(ev, hop)
      v.summary_of("forged_rst_summary", { hop = hop, at = v.address and (" (" .. v.address .. ")") or "",
        address = t.address, port = t.port })
      v.reason("forged_rst", { address = t.address, ttl = rst_ttl, rst_hops = rh + 1, genuine = gttl,
        genuine_hops = gh + 1, hop = hop })
      return v
    end
    local v = verdict("SERVICE_DOWN", "high", ev)
    v.address = t.address
    v.hop = dest_distance(ev)
    v.summary_of("service_down_summary", { address = t.address, proto = t.proto, port = t.port })
    v.reason("rst_genuine", { address = t.address, ttl = rst_ttl, genuine = gttl .. " from the " .. source })
    return v
  end
  local v = verdict("SERVICE_DOWN", "medium", ev)
  v.address = t.address
  v.hop = dest_distance(ev)
  v.summary_of("service_down_summary", { address = t.address, proto = t.proto, port = t.port })
  v.reason("rst_unchecked", { address = t.address })
  return v
end

-- The ICMP error that answered the port, with the TTL of its sender when known.
local function port_icmp(ev, icmp)
  if icmp and icmp.from then return icmp, icmp.ttl or ttl_of(ev, icmp.from) end
  local tr = ev.trace and ev.trace[ev.target.proto == "udp" and "udp" or "tcp"]
  if tr and tr.stop == "unreachable" and tr.unreachable then
    return tr.unreachable, tr.unreachable.ttl
  end
  if tr and tr.reached and tr.dest_answer and tr.dest_answer ~= "syn_ack" and tr.dest_answer ~= "rst" then
    return { from = ev.target.address, kind = tr.dest_answer }, tr.reached_ttl
  end
  return icmp, nil
end

local function icmp_verdict(ev, icmp)
  local t = ev.target
  local e, ttl = port_icmp(ev, icmp)
  if not e or not e.from then
    -- connect() said unreachable but we do not know who sent it
    local v = verdict("PATH_FIREWALL", "low", ev)
    v.summary_of("path_fw_reject_summary", { ttl = "?", from = "?", proto = t.proto, port = t.port })
    v.reason("icmp_admin_router", { ttl = "?", from = "?", proto = t.proto, port = t.port, kind = "unreachable" })
    return v
  end
  local kind = e.kind or "unreachable"
  if e.from == t.address then
    if t.proto == "udp" and kind == "port_unreachable" then
      local v = verdict("SERVICE_DOWN", "high", ev)
      v.address, v.hop = t.address, ttl or dest_distance(ev)
      v.summary_of("service_down_summary", { address = t.address, proto = t.proto, port = t.port })
      v.reason("udp_port_unreachable", { address = t.address, port = t.port })
      return v
    end
    local v = verdict("SERVER_FIREWALL", "high", ev)
    v.address, v.hop = t.address, ttl or dest_distance(ev)
    v.summary_of("server_fw_reject_summary", { proto = t.proto, port = t.port, kind = kind, address = t.address })
    v.reason("icmp_from_target", { address = t.address, proto = t.proto, port = t.port, kind = kind })
    return v
  end
  if kind == "net_unreachable" or kind == "host_unreachable" or kind == "no_route" or kind == "address_unreachable" then
    local v = verdict("ROUTING", "high", ev)
    v.address, v.hop = e.from, ttl
    v.summary_of("routing_unreach_summary", { ttl = ttl or "?", from = e.from, kind = kind })
    v.reason("icmp_unreach_router", { ttl = ttl or "?", from = e.from, kind = kind })
    return v
  end
  local v = verdict("PATH_FIREWALL", "high", ev)
  v.address, v.hop = e.from, ttl
  v.summary_of("path_fw_reject_summary", { ttl = ttl or "?", from = e.from, proto = t.proto, port = t.port })
  v.reason("icmp_admin_router", { ttl = ttl or "?", from = e.from, proto = t.proto, port = t.port, kind = kind })
  return v
end

local function silent_verdict(ev)
  local t = ev.target
  local traces = ev.trace or {}
  local port_trace = traces[t.proto == "udp" and "udp" or "tcp"]
  local en, zh = others_reach(ev)
  -- every protocol stops at the same hop: routing
  local stopped, protos, last_ttl, last_addr = 0, {}, nil, nil
  local same = true
  for _, p in ipairs({ "icmp", "udp", "tcp" }) do
    local tr = traces[p]
    if tr and not tr.reached then
      stopped = stopped + 1
      protos[#protos + 1] = p:upper()
      if last_ttl == nil then last_ttl, last_addr = tr.last_ttl, tr.last_address
      elseif tr.last_ttl ~= last_ttl then same = false end
    end
  end
  if #en == 0 and stopped >= 1 and same and last_ttl then
    local v = verdict("ROUTING", stopped >= 2 and "high" or "medium", ev)
    v.hop, v.address = last_ttl, last_addr
    v.summary_of("routing_summary", { address_dst = t.address, ttl = last_ttl, address = last_addr or "?" })
    v.reason("all_stop", { protos = table.concat(protos, ", "), ttl = last_ttl, address = last_addr or "?" })
    return v
  end
  if #en == 0 then
    local v = verdict("ROUTING", "low", ev)
    v.address = t.address
    v.summary_of("nothing_answers", { address = t.address, proto = t.proto, port = t.port })
    v.reason("nothing_answers", { address = t.address, proto = t.proto, port = t.port })
    return v
  end
  -- something else reaches the target; the port alone is silent
  local dest = dest_distance(ev)
  if port_trace and not port_trace.reached and port_trace.last_ttl then
    local last = port_trace.last_ttl
    local conf = #en >= 2 and "high" or "medium"
    if dest and last >= dest - 1 then
      local v = verdict("SERVER_FIREWALL", "medium", ev)
      v.hop, v.address = dest, t.address
      v.summary_of("server_fw_summary", { proto = t.proto, port = t.port, address = t.address })
      v.reason("dest_silent", { last = last, dest = dest, proto = t.proto, port = t.port,
        others = join_en(en), others_zh = table.concat(zh, "，") })
      v.reason("dest_silent_caveat", { last = last })
      return v
    end
    local v = verdict("PATH_FIREWALL", conf, ev)
    v.hop, v.address = last, port_trace.last_address
    v.summary_of("path_fw_summary", { ttl = last, address = v.address or "?", proto = t.proto, port = t.port })
    v.reason("port_trace_stops", { proto = t.proto, port = t.port, ttl = last, address = v.address or "?",
      others = join_en(en), others_zh = table.concat(zh, "，") })
    benign_notes(v, ev)
    return v
  end
  local v = verdict("PATH_FIREWALL", "low", ev)
  v.summary_of("path_fw_summary", { ttl = "?", address = "?", proto = t.proto, port = t.port })
  v.reason("port_silent_no_trace", { proto = t.proto, port = t.port, others = join_en(en), others_zh = table.concat(zh, "，") })
  return v
end

function M.decide(ev)
  assert(type(ev) == "table" and type(ev.target) == "table", "decide: evidence needs a target")
  local t = ev.target
  if ev.resolve and ev.resolve.status ~= "ok" then
    local v = verdict("DNS_FAILURE", "high", ev)
    v.summary_of("dns_failure", { host = t.host, error = ev.resolve.error or "no address" })
    v.reason("dns_failure", { host = t.host, error = ev.resolve.error or "no address" })
    return finish(v, ev)
  end
  if ev.route and ev.route.status == "no_route" then
    local v = verdict("LOCAL_ROUTE", "high", ev)
    v.address = ev.route.address
    v.summary_of("no_route", { address = ev.route.address, type = ev.route.type or "none", error = ev.route.error or "" })
    v.reason("no_route", { address = ev.route.address, type = ev.route.type or "none", error = ev.route.error or "" })
    return finish(v, ev)
  end
  if ev.fw and (ev.fw.decision == "drop" or ev.fw.decision == "reject") then
    local v = verdict("LOCAL_FIREWALL", "high", ev)
    local rule = ev.fw.rule or {}
    local rtext = rule.ref or rule.text or "(rule not identified)"
    if rule.text and rule.ref and not rule.ref:find(rule.text, 1, true) then rtext = rule.ref .. ": " .. rule.text end
    v.summary_of("local_fw", { decision = ev.fw.decision, decision_zh = ev.fw.decision == "drop" and "丢弃" or "拒绝", rule = rtext })
    v.reason("local_fw", { decision = ev.fw.decision, decision_zh = ev.fw.decision == "drop" and "丢弃" or "拒绝", rule = rtext })
    if ev.fw.manager then v.reason("local_fw_manager", { manager = ev.fw.manager }) end
    -- the counters around the port probes: the named rule should have counted them
    if ev.fw_hits and type(ev.fw_hits.hits) == "table" then
      local hit
      for _, h in ipairs(ev.fw_hits.hits) do
        if rule.ref and h.ref == rule.ref then hit = h end
      end
      if hit then
        v.reason("local_fw_hit", { ref = hit.ref, packets = hit.packets })
      elseif rule.kind == "rule" and rule.counted == false then
        v.reason("local_fw_no_counter", { ref = rule.ref or rtext })
      else
        v.confidence = "medium"
        v.reason("local_fw_no_hit", { ref = rule.ref or rtext })
      end
    end
    if #(ev.local_refusals or {}) > 0 then
      v.reason("local_refusal", { what = table.concat(ev.local_refusals, ", ") })
    end
    -- the device at fault is this host: its source address towards the target
    v.address = ev.route and ev.route.prefsrc or nil
    return finish(v, ev)
  end
  if #(ev.local_refusals or {}) > 0 then
    -- the kernel refused to send: this host's output path drops the flow, although the
    -- evaluation of its rulesets did not say which rule (uncertain, or not read)
    local v = verdict("LOCAL_FIREWALL", "medium", ev)
    v.summary_of("local_fw_unnamed", {})
    v.reason("local_refusal", { what = table.concat(ev.local_refusals, ", ") })
    v.reason("local_fw_unnamed", {})
    v.address = ev.route and ev.route.prefsrc or nil
    return finish(v, ev)
  end
  local answer, icmp = port_answer(ev)
  local v
  if answer == "open" then
    v = service_reachable(ev, ev.syn and ev.syn.status == "syn_ack" and "SYN-ACK" or
      (ev.tcp and string.format("%d of %d connections", ev.tcp.connected or 0, ev.tcp.sent or 0)) or "answer")
  elseif answer == "rst" then
    v = reset_verdict(ev)
  elseif answer == "icmp" then
    v = icmp_verdict(ev, icmp)
  elseif answer == "silent" then
    v = silent_verdict(ev)
  else
    -- no port probe ran: judge from the traces alone
    v = silent_verdict(ev)
    v.confidence = "low"
  end
  return finish(v, ev)
end

-- Collect the evidence of a run by step kind (not by id), so any runbook that uses the
-- same kinds can use these rules.  Steps that were skipped or failed to run are ignored.
function M.gather(ctx)
  local p = ctx.params or {}
  local ev = { target = { host = p.target, proto = p.proto or "tcp", port = p.port }, trace = {} }
  local cmp_port = p.compare_port
  ev.unavailable, ev.local_refusals = {}, {}
  for _, r in ipairs(ctx.records or {}) do
    local e, a, kind = r.evidence, r.args or {}, r.uses
    if type(e) == "table" and e.status == "error" and e.local_refusal then
      -- the socket opened but the kernel refused to send (EPERM): netfilter's output
      -- path dropped the probe on this host, which is evidence, not a missing privilege
      ev.local_refusals[#ev.local_refusals + 1] = r.id or kind
    elseif type(e) == "table" and e.status == "error" and e.error then
      -- the probe could not run at all (no privilege, no socket): say so, do not use it
      ev.unavailable[#ev.unavailable + 1] = string.format("%s: %s", r.id or kind, (tostring(e.error):match("^[^\n]*")))
    elseif r.status == "ok" or r.status == "failed" then
      if kind == "resolve" then
        if a.host == p.target and not ev.resolve then ev.resolve = e end
      elseif kind == "route" then ev.route = ev.route or e
      elseif kind == "fw" then ev.fw = ev.fw or e
      elseif kind == "fw_hits" then ev.fw_hits = ev.fw_hits or e
      elseif kind == "ping" then ev.ping = ev.ping or e
      elseif kind == "mtr" then ev.mtr = ev.mtr or e
      elseif kind == "pmtu" then ev.pmtu = ev.pmtu or e
      elseif kind == "capture" or kind == "capture_stop" then ev.capture = ev.capture or e
      elseif kind == "tcp_request" then
        if a.port == p.port then ev.request = ev.request or e end
      elseif kind == "udp" then ev.udp = ev.udp or e
      elseif kind == "traces" then
        for _, proto in ipairs({ "icmp", "udp", "tcp" }) do
          if type(e[proto]) == "table" then ev.trace[proto] = ev.trace[proto] or e[proto] end
        end
      elseif kind == "trace" then
        local proto = a.proto or e.proto
        if proto == "tcp" and cmp_port and a.port == cmp_port and a.port ~= p.port then
          ev.trace_compare = ev.trace_compare or e
        else
          ev.trace[proto] = ev.trace[proto] or e
        end
      elseif kind == "tcp_syn" or kind == "tcp_connect" then
        local slot = kind == "tcp_syn" and "syn" or "tcp"
        if a.port == p.port then
          ev[slot] = ev[slot] or e
        elseif not ev.compare or kind == "tcp_syn" then
          ev.compare = e
          ev.compare.port = ev.compare.port or a.port
        end
      end
    end
  end
  ev.target.address = (ev.resolve and ev.resolve.addresses and ev.resolve.addresses[1]) or p.target
  return ev
end

-- The runbook entry point: `verdict: [{use: nrb.rules.standard.verdict}]`.
function M.verdict(ctx)
  return M.decide(M.gather(ctx))
end

return M
