-- Tests of nrb.rules.standard on evidence shaped like the lab's scenarios
-- (client 192.0.2.2 -> r1 192.0.2.1 -> r2 198.51.100.2 -> r3 198.51.100.6 ->
-- server 203.0.113.10, four hops).  Each expected verdict was worked out by hand from
-- DESIGN.md's verdict classes and hop rule.
local rules = require "nrb.rules.standard"

local R1, R2, R3, SRV = "192.0.2.1", "198.51.100.2", "198.51.100.6", "203.0.113.10"
local PATH = { R1, R2, R3, SRV }

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)), 2)
  end
end

local function has(list, pattern, what)
  for _, s in ipairs(list or {}) do
    if s:find(pattern) then return end
  end
  error(string.format("%s: no entry matches '%s' in {%s}", what, pattern, table.concat(list or {}, " | ")), 2)
end

-- A trace that gets answers from PATH up to `upto` hops; silent[ttl] = true for hops
-- that never answer.  opts: reached, dest_answer, stop, unreachable, port, dest_reply_ttl.
local function trace(proto, upto, opts)
  opts = opts or {}
  local t = { proto = proto, port = opts.port, address = SRV, hops = {}, max_ttl = 30 }
  local last
  for ttl = 1, upto do
    local h = { ttl = ttl, sent = 3, received = 0, addresses = {}, replies = {} }
    if not (opts.silent and opts.silent[ttl]) then
      h.received = 3
      h.addresses = { PATH[ttl] }
      last = ttl
    end
    t.hops[ttl] = h
  end
  t.reached = opts.reached or false
  if t.reached then
    t.reached_ttl = upto
    t.dest_answer = opts.dest_answer or (proto == "icmp" and "echo_reply" or proto == "tcp" and "syn_ack" or "port_unreachable")
    t.dest_reply_ttl = opts.dest_reply_ttl or 61
    t.stop = "reached"
  else
    t.stop = opts.stop or "silence"
    t.unreachable = opts.unreachable
  end
  t.last_ttl = last
  t.last_address = last and PATH[last]
  return t
end

local function target(proto, port) return { host = SRV, address = SRV, proto = proto or "tcp", port = port or 443 } end

local function healthy()
  return {
    target = target(),
    resolve = { status = "ok", addresses = { SRV } },
    route = { status = "ok", type = "unicast", gateway = R1 },
    ping = { status = "ok", sent = 5, received = 5, loss_pct = 0, rtt_avg_ms = 1.2, reply_ttl = 61 },
    trace = { icmp = trace("icmp", 4, { reached = true }), udp = trace("udp", 4, { reached = true }),
              tcp = trace("tcp", 4, { reached = true, port = 443 }) },
    syn = { status = "syn_ack", reply_ttl = 61, address = SRV, port = 443 },
    tcp = { status = "connected", sent = 3, connected = 3, rtt_avg_ms = 1.3 },
    compare = { status = "syn_ack", port = 80, reply_ttl = 61 },
  }
end

local T = {}

function T.dns_failure()
  local v = rules.decide({ target = target(), resolve = { status = "failed", error = "Name or service not known" } })
  eq(v.class, "DNS_FAILURE", "class")
  eq(v.confidence, "high", "confidence")
  has(v.reasons, "does not resolve", "reasons")
  has(v.i18n.zh.reasons, "无法解析", "zh reasons")
end

function T.local_route()
  local ev = healthy()
  ev.route = { status = "no_route", address = SRV, type = "blackhole", error = "Invalid argument" }
  local v = rules.decide(ev)
  eq(v.class, "LOCAL_ROUTE", "class")
  eq(v.hop, nil, "hop")
  has(v.reasons, "no usable route to 203.0.113.10: blackhole", "reasons")
end

function T.local_firewall_names_rule_and_manager()
  local ev = healthy()
  ev.fw = { decision = "drop", rule = { ref = "-A ufw-user-output -p tcp --dport 443 -j DROP (line 12)" }, manager = "ufw" }
  local v = rules.decide(ev)
  eq(v.class, "LOCAL_FIREWALL", "class")
  has(v.reasons, "ufw%-user%-output", "rule named")
  has(v.reasons, "belongs to ufw", "manager named")
end

-- The counters around the port probes confirm the named rule (iptables: 3 SYNs counted),
-- fail to (a rule with a counter that did not rise: medium), or cannot (an nft rule with
-- no counter statement: said, confidence kept).
function T.local_firewall_counters()
  local ref = "iptables-save line 6 (table filter): -A OUTPUT -p tcp -m tcp --dport 443 -j DROP"
  local ev = healthy()
  ev.fw = { decision = "drop", rule = { kind = "rule", ref = ref, counted = true } }
  ev.fw_hits = { status = "ok", hits = { { ref = ref, packets = 3, verdict = "drop", kind = "rule" } } }
  local v = rules.decide(ev)
  eq(v.class, "LOCAL_FIREWALL", "class")
  eq(v.confidence, "high", "confirmed by its counter")
  has(v.reasons, "its counter rose by 3 packet%(s%)", "counter reason")

  ev.fw_hits = { status = "ok", hits = {} }
  v = rules.decide(ev)
  eq(v.confidence, "medium", "a counted rule that did not count")
  has(v.reasons, "did not rise", "not confirmed")

  ev.fw.rule = { kind = "rule", ref = "table inet f chain output handle 2", counted = false }
  v = rules.decide(ev)
  eq(v.confidence, "high", "no counter: nothing to confirm with")
  has(v.reasons, "has no counter", "no-counter reason")
end

-- A send the kernel refused (EPERM once the socket was open) is this host's firewall
-- dropping the probe on its way out: LOCAL_FIREWALL even when the evaluation could not
-- name a rule, and never "could not run for lack of privilege".
function T.local_refusal_is_local_firewall()
  local ctx = { params = { target = SRV, port = 443, compare_port = 80, proto = "tcp" }, records = {
    { id = "resolve", uses = "resolve", args = { host = SRV }, status = "ok", evidence = { status = "ok", addresses = { SRV } } },
    { id = "route", uses = "route", args = { host = SRV }, status = "ok", evidence = { status = "ok", type = "unicast" } },
    { id = "firewall", uses = "fw", args = { host = SRV }, status = "ok", evidence = { decision = "uncertain", notes = { "cannot evaluate rule X (match u32)" } } },
    { id = "syn", uses = "tcp_syn", args = { host = SRV, port = 443 }, status = "failed",
      evidence = { status = "error", error = "Operation not permitted", local_refusal = true, port = 443 } },
  } }
  local ev = rules.gather(ctx)
  eq(#ev.unavailable, 0, "not counted as a probe that could not run")
  eq(#ev.local_refusals, 1, "one refusal")
  local v = rules.decide(ev)
  eq(v.class, "LOCAL_FIREWALL", "class")
  eq(v.confidence, "medium", "rule not named")
  has(v.reasons, "kernel refused to send the probes of syn %(EPERM%)", "refusal reason")
end

function T.healthy_is_ok()
  local v = rules.decide(healthy())
  eq(v.class, "OK", "class")
  eq(v.confidence, "high", "confidence")
  eq(v.hop, nil, "hop")
  has(v.reasons, "answers %(SYN%-ACK%)", "reasons")
  has(v.suggestions, "nrb diff", "regression checklist")
end

function T.rate_limited_hop_is_not_blamed()
  local ev = healthy()
  ev.mtr = { hops = {
    { ttl = 1, address = R1, sent = 10, received = 10, loss_pct = 0 },
    { ttl = 2, address = R2, sent = 10, received = 6, loss_pct = 40 },
    { ttl = 3, address = R3, sent = 10, received = 10, loss_pct = 0 },
    { ttl = 4, address = SRV, sent = 10, received = 10, loss_pct = 0 },
  } }
  local v = rules.decide(ev)
  eq(v.class, "OK", "class")
  has(v.reasons, "hop 2 %(198.51.100.2%) shows 40%% loss that does not continue", "note")
end

function T.silent_hop_is_not_blamed()
  local ev = healthy()
  local silent = { [2] = true }
  ev.trace = { icmp = trace("icmp", 4, { reached = true, silent = silent }),
               tcp = trace("tcp", 4, { reached = true, silent = silent, port = 443 }) }
  local v = rules.decide(ev)
  eq(v.class, "OK", "class")
  has(v.reasons, "hop 2 never answers, but later hops do", "note")
end

function T.routing_blackhole_at_middle_router()
  -- r2 discards everything towards the server: nothing answers past hop 1
  local ev = healthy()
  ev.ping = { status = "no_reply", sent = 5, received = 0, loss_pct = 100 }
  ev.trace = { icmp = trace("icmp", 1), udp = trace("udp", 1), tcp = trace("tcp", 1, { port = 443 }) }
  ev.syn = { status = "timeout" }
  ev.tcp = { status = "timeout", sent = 3, connected = 0 }
  ev.compare = { status = "timeout", port = 80 }
  local v = rules.decide(ev)
  eq(v.class, "ROUTING", "class")
  eq(v.hop, 1, "hop: last hop that answered before the break")
  eq(v.address, R1, "address")
  eq(v.confidence, "high", "confidence")
  has(v.reasons, "ICMP, UDP, TCP traces all stop after hop 1", "reasons")
end

function T.silent_port_filter_in_path()
  -- r2 drops TCP/443 (it still answers TTL-exceeded for probes that expire on it)
  local ev = healthy()
  ev.trace.tcp = trace("tcp", 2, { port = 443 })
  ev.syn = { status = "timeout" }
  ev.tcp = { status = "timeout", sent = 3, connected = 0 }
  local v = rules.decide(ev)
  eq(v.class, "PATH_FIREWALL", "class")
  eq(v.hop, 2, "hop")
  eq(v.address, R2, "address")
  eq(v.confidence, "high", "confidence")
  has(v.reasons, "the tcp/443 trace stops after hop 2 %(198.51.100.2%) while the ICMP trace reaches the target", "reasons")
end

function T.reject_admin_prohibited_in_path()
  local ev = healthy()
  local err = { from = R2, type = 3, code = 13, kind = "admin_prohibited", ttl = 2 }
  ev.trace.tcp = trace("tcp", 2, { port = 443, stop = "unreachable", unreachable = err })
  ev.syn = { status = "icmp", icmp = { from = R2, type = 3, code = 13, kind = "admin_prohibited" } }
  ev.tcp = { status = "unreachable", sent = 3, connected = 0 }
  local v = rules.decide(ev)
  eq(v.class, "PATH_FIREWALL", "class")
  eq(v.hop, 2, "hop")
  eq(v.address, R2, "address")
  eq(v.confidence, "high", "confidence")
end

function T.server_drops_silently()
  local ev = healthy()
  ev.trace.tcp = trace("tcp", 3, { port = 443 })
  ev.syn = { status = "timeout" }
  ev.tcp = { status = "timeout", sent = 3, connected = 0 }
  local v = rules.decide(ev)
  eq(v.class, "SERVER_FIREWALL", "class")
  eq(v.hop, 4, "hop")
  eq(v.address, SRV, "address")
  eq(v.confidence, "medium", "confidence: the last router cannot be ruled out from here")
  has(v.reasons, "server%-side runbook", "caveat")
end

function T.server_rejects()
  local ev = healthy()
  ev.syn = { status = "icmp", icmp = { from = SRV, type = 3, code = 3, kind = "port_unreachable" } }
  ev.tcp = { status = "unreachable", sent = 3, connected = 0 }
  ev.trace.tcp = trace("tcp", 4, { port = 443, reached = true, dest_answer = "port_unreachable" })
  local v = rules.decide(ev)
  eq(v.class, "SERVER_FIREWALL", "class")
  eq(v.hop, 4, "hop")
  eq(v.confidence, "high", "confidence")
end

function T.no_listener_genuine_reset()
  local ev = healthy()
  ev.syn = { status = "rst", reply_ttl = 61 }
  ev.tcp = { status = "refused", sent = 3, connected = 0 }
  ev.trace.tcp = trace("tcp", 4, { port = 443, reached = true, dest_answer = "rst" })
  local v = rules.decide(ev)
  eq(v.class, "SERVICE_DOWN", "class")
  eq(v.confidence, "high", "confidence")
  eq(v.hop, 4, "hop")
  has(v.reasons, "TTL 61, like its genuine packets %(TTL 61", "provenance")
end

function T.forged_reset_from_middlebox()
  -- r2 answers for the server: its RST leaves with TTL 64 and loses one at r1
  local ev = healthy()
  ev.syn = { status = "rst", reply_ttl = 63 }
  ev.tcp = { status = "refused", sent = 3, connected = 0 }
  ev.trace.tcp = trace("tcp", 2, { port = 443, reached = true, dest_answer = "rst", dest_reply_ttl = 63 })
  local v = rules.decide(ev)
  eq(v.class, "FORGED_RST", "class")
  eq(v.hop, 2, "hop")
  eq(v.address, R2, "address")
  eq(v.confidence, "high", "confidence")
  has(v.reasons, "TTL 63 %(about 2 hops away%) while 203.0.113.10's genuine packets arrive with TTL 61 %(4 hops%)", "reasons")
end

function T.reset_without_genuine_packets_stays_medium()
  local ev = { target = target(), syn = { status = "rst", reply_ttl = 61 } }
  local v = rules.decide(ev)
  eq(v.class, "SERVICE_DOWN", "class")
  eq(v.confidence, "medium", "confidence")
  has(v.reasons, "cannot be ruled out", "reasons")
end

function T.capture_judged_injection()
  local ev = healthy()
  ev.syn = nil
  ev.tcp = { status = "refused", sent = 3, connected = 0 }
  ev.capture = { resets = { { from = SRV, ttl = 63, verdict = "injected", hops_away = 2,
    reasons = { "RST TTL 63 vs genuine 61 -> injected ~2 hops from the client" } } } }
  local v = rules.decide(ev)
  eq(v.class, "FORGED_RST", "class")
  eq(v.hop, 2, "hop")
  has(v.reasons, "capture: RST TTL 63 vs genuine 61", "reasons")
end

function T.pmtu_blackhole()
  local ev = healthy()
  ev.pmtu = { status = "blackhole", path_mtu = 1400, smallest_lost = 1401, local_mtu = 1500 }
  local v = rules.decide(ev)
  eq(v.class, "PMTU_BLACKHOLE", "class")
  has(v.reasons, "1401 bytes with DF set vanish", "reasons")
  eq(v.hop, nil, "hop (not located)")
  eq(v.address, SRV, "address (not located: the target)")
  has(v.reasons, "no hop answered 1401%-byte probes", "reasons")
end

function T.pmtu_blackhole_located()
  local ev = healthy()
  ev.pmtu = { status = "blackhole", path_mtu = 1280, smallest_lost = 1281, local_mtu = 1500,
    hop = 2, hop_address = R2, next_hop = 3, next_hop_address = R3 }
  local v = rules.decide(ev)
  eq(v.class, "PMTU_BLACKHOLE", "class")
  eq(v.hop, 2, "hop")
  eq(v.address, R2, "address")
  has(v.reasons, "hop 2 %(" .. R2:gsub("%.", "%%.") .. "%) still answers 1281%-byte probes", "reasons")
  has(v.reasons, "hop 3 %(" .. R3:gsub("%.", "%%.") .. "%) answers only small ones", "reasons")
end

-- sizes lost at random on a lossy path are not a blackhole: the loss rules decide
function T.pmtu_lossy_is_not_a_blackhole()
  local ev = healthy()
  ev.pmtu = { status = "lossy", path_mtu = 1498, smallest_lost = 1499, local_mtu = 1500, random_losses = 2 }
  local v = rules.decide(ev)
  eq(v.class, "OK", "class")
end

function T.loss_that_persists_is_routing()
  local ev = healthy()
  ev.mtr = { hops = {
    { ttl = 1, address = R1, sent = 20, received = 20, loss_pct = 0 },
    { ttl = 2, address = R2, sent = 20, received = 20, loss_pct = 0 },
    { ttl = 3, address = R3, sent = 20, received = 14, loss_pct = 30 },
    { ttl = 4, address = SRV, sent = 20, received = 15, loss_pct = 25 },
  } }
  local v = rules.decide(ev)
  eq(v.class, "ROUTING", "class")
  eq(v.hop, 3, "hop")
  eq(v.address, R3, "address")
  eq(v.confidence, "high", "confidence")
end

-- 20 rounds over a link losing 30%: hop 3 happened to lose 3, the destination 8.  Fewer
-- than half the destination's rate, but not significantly fewer (Fisher one-sided
-- p = 0.078: the sum of the hypergeometric terms for 0..3 of 11 losses among 40, checked
-- with exact integer binomials): the loss starts at hop 3.
-- A hop with no loss at all before it still ends the run.
function T.loss_start_allows_chance()
  local ev = healthy()
  ev.mtr = { hops = {
    { ttl = 1, address = R1, sent = 20, received = 20, loss_pct = 0 },
    { ttl = 2, address = R2, sent = 20, received = 20, loss_pct = 0 },
    { ttl = 3, address = R3, sent = 20, received = 17, loss_pct = 15 },
    { ttl = 4, address = SRV, sent = 20, received = 12, loss_pct = 40 },
  } }
  local v = rules.decide(ev)
  eq(v.class, "ROUTING", "class")
  eq(v.hop, 3, "hop 3, not 4")
  -- hop 2 lost nothing: loss cannot start there, whatever the test says
  assert(math.abs(rules.fisher_lower(0, 20, 8, 20) - 0.00164) < 0.00002, "0/20 vs 8/20 value")
  assert(math.abs(rules.fisher_lower(3, 20, 8, 20) - 0.07759) < 0.0001, "3/20 vs 8/20 value")
  assert(math.abs(rules.fisher_lower(1, 20, 8, 20) - 0.00983) < 0.00002, "1/20 vs 8/20 value")
  eq(rules.fisher_lower(0, 20, 0, 20), 1, "no loss at all")
  -- 1 of 30 against 12 of 30 is significantly less (p = 0.0005 < 0.001): the run starts
  -- after such a hop
  ev.mtr.hops[3] = { ttl = 3, address = R3, sent = 30, received = 29, loss_pct = 100 / 30 }
  ev.mtr.hops[4] = { ttl = 4, address = SRV, sent = 30, received = 18, loss_pct = 40 }
  eq(rules.decide(ev).hop, 4, "a hop that loses significantly less is not where it starts")
end

function T.lost_syn_on_a_lossy_path_is_not_a_filter()
  -- 30% loss: the one SYN probe and the connect got nothing, the TCP trace's probes did
  local ev = healthy()
  ev.syn = { status = "timeout" }
  ev.tcp = { status = "timeout", sent = 2, connected = 0 }
  ev.mtr = { hops = {
    { ttl = 1, address = R1, sent = 10, received = 10, loss_pct = 0 },
    { ttl = 2, address = R2, sent = 10, received = 10, loss_pct = 0 },
    { ttl = 3, address = R3, sent = 10, received = 7, loss_pct = 30 },
    { ttl = 4, address = SRV, sent = 10, received = 6, loss_pct = 40 },
  } }
  local v = rules.decide(ev)
  eq(v.class, "ROUTING", "class")
  eq(v.hop, 3, "hop")
end

function T.loss_only_at_destination_starts_there()
  local ev = healthy()
  ev.mtr = { hops = {
    { ttl = 1, address = R1, sent = 20, received = 20, loss_pct = 0 },
    { ttl = 2, address = R2, sent = 20, received = 20, loss_pct = 0 },
    { ttl = 3, address = R3, sent = 20, received = 20, loss_pct = 0 },
    { ttl = 4, address = SRV, sent = 20, received = 18, loss_pct = 10 },
  } }
  local v = rules.decide(ev)
  eq(v.class, "ROUTING", "class")
  eq(v.hop, 4, "hop")
  eq(v.confidence, "medium", "confidence")
end

function T.icmp_blocked_at_server()
  local ev = healthy()
  ev.ping = { status = "no_reply", sent = 5, received = 0, loss_pct = 100 }
  ev.trace.icmp = trace("icmp", 3)
  local v = rules.decide(ev)
  eq(v.class, "ICMP_FILTERED", "class")
  eq(v.confidence, "high", "confidence")
  eq(v.hop, 4, "hop: the target, reached by the TCP trace")
end

function T.udp_filtered_in_path()
  local ev = healthy()
  ev.target = target("udp", 9999)
  ev.udp = { status = "open_filtered", port = 9999 }
  ev.trace = { icmp = trace("icmp", 4, { reached = true }), udp = trace("udp", 2, { port = 9999 }) }
  local v = rules.decide(ev)
  eq(v.class, "PATH_FIREWALL", "class")
  eq(v.hop, 2, "hop")
  eq(v.proto, "udp", "proto")
  eq(v.port, 9999, "port")
end

function T.udp_port_unreachable_is_service_down()
  local ev = healthy()
  ev.target = target("udp", 9998)
  ev.udp = { status = "port_unreachable", icmp = { from = SRV, kind = "port_unreachable" } }
  local v = rules.decide(ev)
  eq(v.class, "SERVICE_DOWN", "class")
  eq(v.hop, 4, "hop")
end

function T.high_latency_without_loss_is_ok()
  local ev = healthy()
  ev.ping.rtt_avg_ms = 320.5
  local v = rules.decide(ev)
  eq(v.class, "OK", "class")
  has(v.reasons, "round%-trip time is high %(320.5 ms average%)", "reasons")
end

function T.degraded_probes_lower_confidence()
  local ev = healthy()
  ev.trace.tcp.degraded = "no CAP_NET_RAW: TCP trace by connect() with IP_RECVERR"
  local v = rules.decide(ev)
  eq(v.class, "OK", "class")
  eq(v.confidence, "medium", "confidence")
  has(v.reasons, "ran degraded", "reasons")
end

function T.every_class_has_suggestions_in_both_languages()
  local v = rules.decide(healthy())
  eq(#v.suggestions, #v.i18n.zh.suggestions, "same number of suggestions")
  local i18n = require "nrb.i18n"
  for _, class in ipairs({ "OK", "DNS_FAILURE", "LOCAL_ROUTE", "LOCAL_FIREWALL", "ROUTING", "PATH_FIREWALL",
                           "FORGED_RST", "SERVER_FIREWALL", "SERVICE_DOWN", "PMTU_BLACKHOLE", "ICMP_FILTERED" }) do
    local s = i18n.suggestions[class]
    assert(s and #s > 0, "no suggestion for " .. class)
    for _, x in ipairs(s) do assert(x.en and x.zh, class .. ": missing a language") end
  end
end

function T.gather_by_step_kind()
  local rec = function(uses, args, evidence, status)
    return { uses = uses, args = args, evidence = evidence, status = status or "ok" }
  end
  local ctx = { params = { target = "server.example", port = 443, compare_port = 80, proto = "tcp" }, records = {
    rec("resolve", { host = "server.example" }, { status = "ok", addresses = { SRV } }),
    rec("route", { host = "server.example" }, { status = "ok", type = "unicast" }),
    rec("trace", { proto = "icmp" }, trace("icmp", 4, { reached = true })),
    rec("trace", { proto = "tcp", port = 443 }, trace("tcp", 2, { port = 443 }), "failed"),
    rec("trace", { proto = "tcp", port = 80 }, trace("tcp", 4, { reached = true, port = 80 })),
    rec("tcp_connect", { host = SRV, port = 443 }, { status = "timeout", sent = 3, connected = 0 }, "failed"),
    rec("tcp_connect", { host = SRV, port = 80 }, { status = "connected", sent = 1, connected = 1 }),
    rec("ping", {}, { status = "ok", sent = 5, received = 5 }, "skipped"),
  } }
  local ev = rules.gather(ctx)
  eq(ev.target.address, SRV, "target address from resolve")
  eq(ev.target.port, 443, "target port")
  eq(ev.trace.tcp.last_ttl, 2, "tcp trace to the port")
  eq(ev.trace_compare.port, 80, "trace to the comparison port kept apart")
  eq(ev.tcp.status, "timeout", "connect to the port")
  eq(ev.compare.status, "connected", "connect to the comparison port")
  eq(ev.ping, nil, "skipped steps are ignored")
  local v = rules.verdict(ctx)
  eq(v.class, "PATH_FIREWALL", "class")
  eq(v.hop, 2, "hop")
end

function T.probes_that_could_not_run_lower_confidence()
  local ctx = { params = { target = SRV, port = 443, proto = "tcp" }, records = {
    { id = "resolve", uses = "resolve", args = { host = SRV }, status = "ok", evidence = { status = "ok", addresses = { SRV } } },
    { id = "ping", uses = "ping", args = {}, status = "failed", evidence = { status = "error", error = "priv: no raw IPv4 ICMP socket\nsecond line" } },
    { id = "connect", uses = "tcp_connect", args = { port = 443 }, status = "ok", evidence = { status = "connected", sent = 2, connected = 2 } },
  } }
  local v = rules.verdict(ctx)
  eq(v.class, "OK", "class")
  eq(v.confidence, "medium", "confidence")
  has(v.reasons, "some probes could not run %(ping: priv: no raw IPv4 ICMP socket%)", "reason names the probe, first line only")
end

function T.use_rules_validation()
  local runbook = require "nrb.runbook"
  local base = function(verdict)
    return { name = "x", summary = "x", steps = { { id = "a", uses = "resolve", with = { host = "x" } } },
             verdict = verdict }
  end
  local rb = runbook.validate(base({ { use = "nrb.rules.standard.verdict" }, { class = "OK", summary = "d" } }), nil, "t.yaml", "yaml")
  assert(rb, "a rule set followed by a default is valid")
  local _, errs = runbook.validate(base({ { use = "nrb.rules.standard.verdict", class = "OK" }, { class = "OK", summary = "d" } }), nil, "t.yaml", "yaml")
  has(errs, "takes only 'when'", "extra keys on a use rule")
  _, errs = runbook.validate(base({ { use = "nrb.rules.nothing.verdict" }, { class = "OK", summary = "d" } }), nil, "t.yaml", "yaml")
  has(errs, "not available to runbooks", "unknown rule module")
  _, errs = runbook.validate(base({ { use = "nrb.rules.standard.verdict" } }), nil, "t.yaml", "yaml")
  has(errs, "the last verdict rule must have no 'when' and no 'use'", "a rule set cannot be the default")
end

function T.private_and_public_hops()
  assert(rules.is_private("10.1.2.3") and rules.is_private("172.20.0.1") and rules.is_private("192.168.1.1"), "RFC 1918")
  assert(rules.is_private("100.64.0.1") and rules.is_private("fd00::1") and rules.is_private("fc12:3456::1"), "CGN and ULA")
  assert(not rules.is_private("198.51.100.2") and not rules.is_private("172.32.0.1") and not rules.is_private("2001:db8::1"), "public")
  assert(not rules.is_private("fe80::1") and not rules.is_private("fdxx"), "link-local and garbage")
  local ev = healthy()
  ev.trace.tcp = trace("tcp", 2, { port = 443 })
  ev.trace.tcp.last_address = "10.0.0.1"
  ev.syn = { status = "timeout" }
  ev.tcp = { status = "timeout", sent = 3, connected = 0 }
  local v = rules.decide(ev)
  eq(v.address, "10.0.0.1", "address")
  has(v.reasons, "10.0.0.1 is a private address: the device is inside your own network", "private note")
  ev.trace.tcp.last_address = R2
  has(rules.decide(ev).reasons, "198.51.100.2 is a public address outside this network", "public note")
end

-- forged_rst_payload: the handshake works, the users' request is reset
local function request_reset(ev)
  ev.request = { status = "connected", address = SRV, port = 443, sent = "GET /forbidden HTTP/1.0",
    request = { status = "reset", bytes = 0, sent_bytes = 27, error = "Connection reset by peer" } }
  return ev
end

function T.request_reset_without_capture_is_low_confidence()
  local v = rules.decide(request_reset(healthy()))
  eq(v.class, "FORGED_RST", "class")
  eq(v.confidence, "low", "confidence")
  eq(v.hop, nil, "hop")
  has(v.reasons, "the request 'GET /forbidden HTTP/1%.0' is answered with a reset", "reasons")
  has(v.reasons, "no capture saw the reset", "reasons")
end

function T.request_reset_injected_per_capture()
  local ev = request_reset(healthy())
  ev.capture = { resets = { { from = SRV, ttl = 63, verdict = "injected", hops_away = 2,
    reasons = { "RST TTL 63 vs genuine 61" } } } }
  local v = rules.decide(ev)
  eq(v.class, "FORGED_RST", "class")
  eq(v.confidence, "high", "confidence")
  eq(v.hop, 2, "hop")
  eq(v.address, R2, "address")
  has(v.reasons, "RST TTL 63 vs genuine 61", "reasons")
end

function T.request_reset_by_the_server_is_not_the_network()
  local ev = request_reset(healthy())
  ev.capture = { resets = { { from = SRV, ttl = 61, verdict = "server", reasons = { "RST TTL 61 like the SYN-ACK" } } } }
  local v = rules.decide(ev)
  eq(v.class, "OK", "class")
  has(v.reasons, "answered with a reset", "reasons")
end

function T.request_answered_is_ok()
  local ev = healthy()
  ev.request = { status = "connected", address = SRV, port = 443, sent = "GET / HTTP/1.0",
    request = { status = "response", bytes = 100, first_line = "HTTP/1.0 200 OK" } }
  eq(rules.decide(ev).class, "OK", "class")
end

function T.unescape_request()
  local steps = require "nrb.steps"
  eq(steps.unescape("GET / HTTP/1.0\\r\\n\\r\\n"), "GET / HTTP/1.0\r\n\r\n", "crlf")
  eq(steps.unescape("a\\x41\\tb"), "aA\tb", "hex and tab")
  eq(steps.unescape("c:\\\\x41"), "c:\\x41", "an escaped backslash is not a hex escape")
  eq(steps.unescape("50\\% \\q"), "50\\% \\q", "unknown escapes kept")
  eq(steps.unescape("\\x4"), "\\x4", "short hex kept")
end

return T
