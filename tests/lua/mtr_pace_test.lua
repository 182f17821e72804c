-- The per-hop statistics' pace (lua/nrb/steps.lua trace_pace) and the line the ticket
-- prints about it (lua/nrb/report/sections.lua mtr_pace).  Trace evidence shaped like the
-- lab's, the expected decisions worked out by hand from the rule: a hop that answered
-- some but not all of its trace probes while a farther hop answered limits its ICMP.
local steps = require "nrb.steps"
local sections = require "nrb.report.sections"

local function eq(got, want, what)
  if got ~= want then error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)), 2) end
end
local function has(s, needle, what)
  if not tostring(s):find(needle, 1, true) then
    error(string.format("%s: '%s' not in:\n%s", what, needle, tostring(s)), 2)
  end
end

-- A trace: received[ttl] of 3 probes answered at each TTL, rtt_ms on every reply.
local function trace(received, rtt)
  local hops = {}
  for ttl, got in ipairs(received) do
    local replies = {}
    for i = 1, got do replies[i] = { rtt_ms = rtt or 0.4 } end
    hops[ttl] = { ttl = ttl, sent = 3, received = got, replies = replies }
  end
  return { hops = hops }
end

local T = {}

function T.pace_from_traces()
  local p
  -- every hop answered all: fast, and the largest RTT is carried for the interval
  p = steps.trace_pace{ icmp = trace({ 3, 3, 3, 3 }), udp = trace({ 3, 3, 3, 3 }),
    tcp = trace({ 3, 3, 3, 3 }, 12.5) }
  eq(p.fast, true, "all answered: fast")
  eq(p.max_rtt_ms, 12.5, "largest RTT")

  -- hop 2 answered 2 of 3 ICMP probes while hop 3 answered: limited at hop 2
  p = steps.trace_pace{ icmp = trace({ 3, 2, 3, 3 }), udp = trace({ 3, 3, 3, 3 }), tcp = trace({ 3, 3, 3, 3 }) }
  eq(p.fast, false, "gap at hop 2: slow")
  eq(p.hop, 2, "the limiting hop")
  eq(p.received, 2, "answers")
  eq(p.sent, 3, "sent")
  eq(p.proto, "icmp", "protocol")

  -- a silent hop (answers nothing) is not a limiter, and neither is the tail of a trace
  -- that stops (a filter): both stay fast
  p = steps.trace_pace{ icmp = trace({ 3, 0, 3, 3 }), tcp = trace({ 3, 3, 0, 0 }) }
  eq(p.fast, true, "silent hop and silent tail: fast")

  -- a partial answer at the last answering TTL (nothing farther answered) is not a gap
  p = steps.trace_pace{ udp = trace({ 3, 3, 3, 1 }) }
  eq(p.fast, true, "partial answer at the farthest hop: fast")

  -- TTLs past the destination (probes that left before its answer) do not make the
  -- destination's own partial answers (a limited port unreachable) a gap
  local udp = trace({ 3, 3, 3, 2, 1 })
  udp.reached, udp.reached_ttl = true, 4
  p = steps.trace_pace{ udp = udp }
  eq(p.fast, true, "partial answers at the destination's TTL: fast")

  -- the first gap in protocol order is the one reported
  p = steps.trace_pace{ icmp = trace({ 3, 3, 3, 3 }), udp = trace({ 3, 3, 1, 3 }), tcp = trace({ 2, 3, 3, 3 }) }
  eq(p.hop, 3, "udp's gap comes before tcp's")
  eq(p.proto, "udp", "udp")

  -- no traces at all: slow, with a reason
  p = steps.trace_pace(nil)
  eq(p.fast, false, "no traces: slow")
  has(p.reason, "no traces", "reason")
end

local function report(ev)
  return { steps = { { id = "mtr", uses = "mtr", status = "ok", evidence = ev } } }
end

function T.ticket_pace_line()
  local line
  line = sections.mtr_pace(report{ interval_ms = 250, slow_interval_ms = 1000, hops = {},
    pace = { fast = true } }, "en")
  has(line, "Rounds every 250 ms", "fast line")
  eq(line:find("From round", 1, true), nil, "no slow-down mentioned")

  line = sections.mtr_pace(report{ interval_ms = 250, slow_interval_ms = 1000, slowed_round = 8,
    slow_hop = 2, hops = {}, pace = { fast = true }, tcp = { stopped_round = 7, hops = {} } }, "en")
  has(line, "From round 8 every 1000 ms: hop 2 missed a round", "slowed line")
  has(line, "TCP rounds stopped after round 7", "tcp stopped")

  line = sections.mtr_pace(report{ interval_ms = 1000, hops = {},
    pace = { fast = false, hop = 2, received = 6, sent = 9, proto = "icmp", tcp_left_out = true } }, "zh")
  has(line, "每 1000 毫秒一轮", "zh slow line")
  has(line, "第 2 跳只回应了 6/9 个 ICMP", "zh counts")
  has(line, "未同时进行 TCP 轮次", "zh tcp left out")

  eq(sections.mtr_pace(report{ interval_ms = 1000, hops = {} }, "en"), nil, "no pace: no line")
end

function T.ticket_both_tables()
  -- both tables in the statistics block, ICMP first
  local text = sections.mtr{ started = "T", vantage = { hostname = "c" }, steps = { { uses = "mtr",
    evidence = { proto = "icmp", rounds = 10, hops = { { ttl = 1, address = "192.0.2.1", sent = 10, received = 10, loss_pct = 0 } },
      tcp = { proto = "tcp", port = 443, rounds = 10, hops = { { ttl = 1, address = "192.0.2.1", sent = 10, received = 9, loss_pct = 10 } } } } } } }
  local i1, i2 = text:find("(ICMP, 10 rounds)", 1, true), text:find("(TCP/443, 10 rounds)", 1, true)
  assert(i1 and i2 and i1 < i2, "ICMP table then TCP table:\n" .. text)
  has(text, "10.0%", "tcp loss column")
end

-- TCP rounds alongside need a pace chosen from traces; asked for without one (or with a
-- non-ICMP mtr) the step fails before anything is sent.
function T.also_tcp_needs_pace_from()
  local mtr = steps.kinds.mtr
  local ev, st = mtr.run(nil, { host = "192.0.2.1", proto = "icmp", also_tcp_port = 443,
    rounds = 10, interval_ms = 1000, fast_interval_ms = 250, max_ttl = 30, timeout_ms = 2000 })
  eq(st, "failed", "status")
  has(ev.error, "pace_from", "says why")
  ev, st = mtr.run(nil, { host = "192.0.2.1", proto = "udp", also_tcp_port = 443, pace_from = "traces",
    rounds = 10, interval_ms = 1000, fast_interval_ms = 250, max_ttl = 30, timeout_ms = 2000 })
  eq(st, "failed", "udp mtr")
  has(ev.error, "icmp mtr", "says why")
end

return T
