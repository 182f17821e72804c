-- Tests of nrb.rules.server (the server-side runbook's judgement) and of its view merged
-- with a client's report.
local rules = require "nrb.rules.server"
local merge = require "nrb.merge"

local function eq(got, want, what)
  if got ~= want then error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)), 2) end
end
local function has(list, pattern, what)
  if type(list) == "string" then list = { list } end
  for _, s in ipairs(list or {}) do if s:find(pattern) then return end end
  error(string.format("%s: nothing matches '%s' in {%s}", what, pattern, table.concat(list or {}, " | ")), 2)
end

local PEER, SRV = "192.0.2.2", "203.0.113.10"

local function ctx(listening, fw, capture)
  local c = { params = { peer = PEER, port = 443, proto = "tcp" }, records = {
    { id = "listening", uses = "listening", status = listening.status == "listening" and "ok" or "failed", evidence = listening },
    { id = "firewall", uses = "fw", status = "ok", evidence = fw },
    { id = "reverse", uses = "traces", status = "ok", evidence = { icmp = { reached = true, reached_ttl = 4 } } },
  } }
  if capture then
    table.insert(c.records, 1, { id = "capture", uses = "capture_start", status = capture.status == "ok" and "ok" or "failed",
      evidence = capture.status == "ok" and { status = "running", interface = "eth0" } or capture })
    c.records[#c.records + 1] = { id = "capture_analysis", uses = "capture_stop",
      status = capture.status == "ok" and "ok" or "skipped", evidence = capture.status == "ok" and capture or {} }
  end
  return c
end

-- Capture evidence shaped like the lab's (capture_stop on the server, filter "host
-- 192.0.2.2 and (port 443 or icmp or icmp6)").  The server's own TCP trace towards the
-- client's port 443 is in every capture: a connection the *server* originates, which must
-- never count as the client's SYNs.
local OWN_TRACE = { state = "REJ", history = "Sr", orig = { address = SRV, port = 45001, syns = 1, rst = false },
                    resp = { address = PEER, port = 443, syns = 0, rst = true }, reset_by = "resp" }
local function capture(conns, icmp, extra)
  local c = { status = "ok", interface = "eth0", address = PEER, port = 443, packets = 40,
              stopped_by = "stop", ran_ms = 20012, min_ms = 20000, waited_ms = 9800, wait = "elapsed",
              started = "2026-11-22T03:00:00.100Z", stopped = "2026-11-22T03:00:20.112Z",
              connections = conns, icmp = icmp or {}, findings = {}, resets = {} }
  for k, x in pairs(extra or {}) do c[k] = x end
  return c
end
local function client_conn(syns, state, o)
  local c = { state = state, history = "S", orig = { address = PEER, port = 40000 + syns, syns = syns, rst = false },
              resp = { address = SRV, port = 443, syns = 0, rst = false }, icmp = {} }
  for k, x in pairs(o or {}) do
    if k == "resp" then for kk, xx in pairs(x) do c.resp[kk] = xx end else c[k] = x end
  end
  return c
end

local LISTEN = { status = "listening", sockets = { { address = "0.0.0.0" } } }
local ACCEPT = { decision = "accept", direction = "input" }

local T = {}

function T.nothing_listens()
  local v = rules.verdict(ctx({ status = "none", sockets = {} }, ACCEPT))
  eq(v.class, "SERVICE_DOWN", "class")
  eq(v.confidence, "high", "confidence")
  eq(v.server_view.listening, false, "server_view.listening")
end

function T.firewall_drops_the_client()
  local v = rules.verdict(ctx(LISTEN, { decision = "drop", direction = "input",
    rule = { ref = "table inet filter chain input handle 7" }, manager = "firewalld" }))
  eq(v.class, "SERVER_FIREWALL", "class")
  eq(v.server_view.fw_decision, "drop", "server_view.fw_decision")
  eq(v.server_view.fw_rule, "table inet filter chain input handle 7", "server_view.fw_rule")
  has(v.reasons, "would drop tcp/443 from 192.0.2.2 %(input%): table inet filter chain input handle 7", "reason")
  has(v.reasons, "belongs to firewalld", "manager")
end

function T.nothing_here_stops_it()
  local v = rules.verdict(ctx(LISTEN, ACCEPT))
  eq(v.class, "OK", "class")
  eq(v.confidence, "medium", "confidence: without a capture it cannot say packets arrived")
  has(v.reasons, "the reverse path to 192.0.2.2: reached at hop 4", "reverse path")
  has(v.reasons, "without a capture", "caveat")
end

-- server_drop in the lab: 3 SYNs of one connect() attempt (SYN + 2 retransmissions) and
-- 2 of another, nothing out; the firewall drop rule names it.  syn_seen = 3 + 2 = 5 (the
-- server's own trace connection is not the client's).
function T.capture_syns_arrive_firewall_drops()
  local cap = capture({ client_conn(3, "S0"), OWN_TRACE, client_conn(2, "S0") })
  local v = rules.verdict(ctx(LISTEN, { decision = "drop", direction = "input",
    rule = { ref = "table inet nrb_lab chain input handle 2" } }, cap))
  eq(v.class, "SERVER_FIREWALL", "class")
  eq(v.confidence, "high", "confidence")
  eq(v.server_view.syn_seen, 5, "syn_seen")
  eq(v.server_view.answered, "none", "answered")
  eq(v.server_view.interface, "eth0", "interface")
  eq(v.server_view.capture_s, 20, "capture_s: 20012 ms")
  eq(v.server_view.capture_started, "2026-11-22T03:00:00.100Z", "capture_started")
  has(v.reasons, "the capture on eth0 %(20 s%) saw 5 SYN%(s%) from 192.0.2.2 to port 443 %(2 connection attempt%(s%)%); what left in reply: nothing", "capture reason")
  has(v.i18n.zh.reasons, "看到 5 个来自 192.0.2.2", "zh reason")
end

-- SYNs arrive and nothing leaves, yet the firewall as read accepts: still this host.
function T.capture_syns_unanswered_firewall_accepts()
  local v = rules.verdict(ctx(LISTEN, ACCEPT, capture({ client_conn(3, "S0") })))
  eq(v.class, "SERVER_FIREWALL", "class")
  eq(v.confidence, "medium", "confidence: the rule is not named")
  eq(v.server_view.syn_seen, 3, "syn_seen")
  has(v.summary, "reach this host and nothing answers them: 3 SYN%(s%)", "summary")
  has(v.reasons, "as read, says accept", "the firewall read is cited")
end

-- The firewall's counters over the window (fw_snapshot/fw_hits): a drop rule that counted
-- while the SYNs arrived unanswered makes the server's firewall the likely cause even when
-- the rules, as read, say accept (e.g. a rule the evaluator could not follow).
local function with_hits(c, hits)
  c.records[#c.records + 1] = { id = "fw_hits", uses = "fw_hits", status = #hits > 0 and "failed" or "ok",
    evidence = { status = "ok", hits = hits, min_packets = 1 } }
  return c
end

function T.fw_counters_that_rose_in_the_window()
  local hit = { kind = "rule", ref = "table inet filter chain input handle 7", table = "filter", chain = "input",
    text = "tcp dport 443 counter drop", verdict = "drop", packets = 3, bytes = 180 }
  local acc = { kind = "rule", ref = "table inet filter chain input handle 2", table = "filter", chain = "input",
    text = "ct state established accept", verdict = "accept", packets = 40, bytes = 4000 }
  local v = rules.verdict(with_hits(ctx(LISTEN, ACCEPT, capture({ client_conn(3, "S0") })), { acc, hit }))
  eq(v.class, "SERVER_FIREWALL", "class")
  eq(v.confidence, "high", "confidence: a drop rule counted the window's packets")
  eq(#v.server_view.fw_hits, 1, "only drop/reject rules in server_view.fw_hits")
  eq(v.server_view.fw_hits[1].packets, 3, "packets")
  has(v.reasons, "rule table inet filter chain input handle 7 %(filter/input, drop%) matched 3 packet%(s%): tcp dport 443 counter drop", "reason")
  -- nothing that drops counted: said, and the confidence stays medium
  v = rules.verdict(with_hits(ctx(LISTEN, ACCEPT, capture({ client_conn(3, "S0") })), { acc }))
  eq(v.confidence, "medium", "confidence without a drop hit")
  eq(#v.server_view.fw_hits, 0, "no fw_hits")
  has(v.reasons, "no drop or reject rule", "reason")
end

-- server_reject: the server's nft reject sends ICMP port unreachable to the client, quoted
-- by the connection (icmp indexes 1, 2, 3 into the capture's icmp list).
function T.capture_answered_with_icmp()
  local icmp = {}
  for i = 1, 3 do icmp[i] = { sender = SRV, to = PEER, kind = "port_unreachable", connection = 1 } end
  local v = rules.verdict(ctx(LISTEN, { decision = "reject", direction = "input", rule = { ref = "handle 2" } },
    capture({ client_conn(1, "S0", { icmp = { 1 } }), client_conn(1, "S0", { icmp = { 2 } }),
              client_conn(1, "S0", { icmp = { 3 } }) }, icmp)))
  eq(v.class, "SERVER_FIREWALL", "class")
  eq(v.server_view.syn_seen, 3, "syn_seen")
  eq(v.server_view.answered, "icmp", "answered")
  has(v.reasons, "what left in reply: an ICMP error", "reason")
end

-- service_down: two connect() attempts, each answered by the kernel's RST.
function T.capture_nothing_listens_rst()
  local v = rules.verdict(ctx({ status = "none", sockets = {} }, ACCEPT,
    capture({ client_conn(1, "REJ", { resp = { rst = true } }), OWN_TRACE, client_conn(1, "REJ", { resp = { rst = true } }) })))
  eq(v.class, "SERVICE_DOWN", "class")
  eq(v.server_view.listening, false, "listening")
  eq(v.server_view.syn_seen, 2, "syn_seen")
  eq(v.server_view.answered, "rst", "answered")
  has(v.reasons, "what left in reply: RST %(refused%)", "reason")
end

-- last_router_filter: the window passed, only the server's own trace is in the capture.
function T.capture_no_syn_arrived()
  local v = rules.verdict(ctx(LISTEN, ACCEPT, capture({ OWN_TRACE })))
  eq(v.class, "OK", "class: nothing on this host stops it")
  eq(v.confidence, "medium", "confidence")
  eq(v.server_view.syn_seen, 0, "syn_seen")
  eq(v.server_view.answered, "none", "answered")
  has(v.summary, "but none of it arrived: no SYN in the 20 s capture", "summary")
  has(v.reasons, "saw no SYN from 192.0.2.2 to port 443", "reason")
  has(v.reasons, "stopped before this host", "caveat")
  has(v.reasons, "1 socket%(s%) listen on tcp port 443", "listening cited")
end

-- healthy: the handshake completes.
function T.capture_answered_syn_ack()
  local v = rules.verdict(ctx(LISTEN, ACCEPT, capture({ client_conn(1, "SF", { resp = { syns = 1 } }) })))
  eq(v.class, "OK", "class")
  eq(v.confidence, "high", "confidence")
  eq(v.server_view.answered, "syn_ack", "answered")
end

-- Ctrl-C 5 s into a 20 s window with nothing seen: said, and the confidence drops.
function T.capture_window_cut_short()
  local v = rules.verdict(ctx(LISTEN, ACCEPT, capture({}, nil, { ran_ms = 5003, wait = "interrupted", waited_ms = 10 })))
  eq(v.server_view.syn_seen, 0, "syn_seen")
  eq(v.server_view.capture_s, 5, "capture_s")
  eq(v.confidence, "low", "confidence")
  has(v.reasons, "the capture ran 5 s of the 20 s window %(interrupted%)", "cut reason")
end

-- Without capture privilege: said, and the old verdict stands (no syn_seen for merge).
function T.capture_not_permitted()
  local v = rules.verdict(ctx(LISTEN, ACCEPT, { status = "not_started", error = "eth0: You don't have permission to capture on that device" }))
  eq(v.class, "OK", "class")
  eq(v.confidence, "medium", "confidence")
  eq(v.server_view.syn_seen, nil, "syn_seen unknown")
  has(v.reasons, "no capture %(eth0: You don't have permission", "reason")
  has(v.reasons, "without a capture", "old caveat")
end

function T.merged_with_the_client_the_rule_is_named()
  local server = rules.verdict(ctx(LISTEN, { decision = "drop", direction = "input", rule = { ref = "-A INPUT -p tcp --dport 443 -j DROP" } }))
  local function rep(name, v, vantage, params)
    return { schema = "nrb.report/1", runbook = { name = name }, target = { host = SRV, address = SRV, proto = "tcp", port = 443 },
             vantage = vantage, params = params, started = "2026-11-22T03:00:00.000Z", finished = "2026-11-22T03:00:09.000Z",
             steps = {}, verdict = v, _file = name .. ".json" }
  end
  local client = rep("standard", { class = "SERVER_FIREWALL", hop = 4, address = SRV, confidence = "medium", summary = "silent at the destination", reasons = {} },
    { hostname = "client", addresses = { PEER } }, { target = SRV, port = 443 })
  local srv = rep("server-side", server, { hostname = "server", addresses = { SRV } }, { peer = PEER, port = 443 })
  local m = assert(merge.combine({ client, srv }))
  eq(m.verdict.class, "SERVER_FIREWALL", "class")
  eq(m.verdict.confidence, "high", "confidence")
  eq(m.verdict.hop, 4, "hop")
  has(m.verdict.reasons, "the firewall decision for the client's flow is drop by %-A INPUT", "reason")
end

return T
