-- nrb.steps: the step kinds a runbook can name with `uses:`.
--
-- Each kind declares its arguments (typed like runbook parameters, so `nrb check` can
-- reject unknown or ill-typed ones) and a run(ctx, args) function returning
-- evidence, status ("ok" or "failed") and optional findings.  YAML and Lua runbooks
-- call the same functions: one runner, two syntaxes.
local host = require "nrb.core.host"
local json = require "nrb.core.json"
local probe = require "nrb.probe"

local M = {}

M.kinds = {}

M.kinds.resolve = {
  summary = "resolve a host name to its addresses (getaddrinfo)",
  args = {
    host = { type = "host", required = true },
    family = { type = "enum", values = { "any", "ipv4", "ipv6" }, default = "any" },
  },
  run = function(_, a)
    local ev = probe.resolve{ host = a.host, family = a.family }
    if ev.status ~= "ok" then
      return ev, "failed", { { severity = "error",
        text = string.format("%s does not resolve: %s", a.host, ev.error or "no address") } }
    end
    -- the steps after this one probe the first address: one no probe may go to (a
    -- sinkhole's 0.0.0.0, a multicast address) is a name that resolves wrongly
    local ok, why = probe.check_target(ev.addresses[1])
    if not ok then
      ev.status = "failed"
      ev.error = string.format("its first address %s cannot be probed: %s", ev.addresses[1], why)
      return ev, "failed", { { severity = "error", text = a.host .. ": " .. ev.error } }
    end
    return ev, "ok"
  end,
}

M.kinds.tcp_connect = {
  summary = "TCP connect to a port, `count` times (like tcping / nc -vz)",
  args = {
    host = { type = "host", required = true },
    port = { type = "port", required = true },
    count = { type = "int", default = 3, min = 1, max = 20 },
    timeout_ms = { type = "int", default = 2000, min = 1, max = 60000 },
  },
  run = function(_, a)
    local ev = probe.tcping{ host = a.host, port = a.port, count = a.count,
                             timeout_ms = a.timeout_ms }
    local findings = {}
    if ev.sent == 0 then -- nothing sent: the host does not resolve, or cannot be a target
      findings[1] = { severity = "error", text = ev.status == "unresolved" and
        string.format("%s does not resolve: %s", a.host, ev.error or "no address") or tostring(ev.error) }
    elseif ev.status == "connected" and ev.connected < ev.sent then
      findings[#findings + 1] = { severity = "warn", text = string.format(
        "%d of %d connections to %s port %d failed", ev.sent - ev.connected, ev.sent,
        ev.address, a.port) }
    end
    return ev, ev.sent > 0 and ev.connected == ev.sent and "ok" or "failed", findings
  end,
}

-- Decode the escapes an operator can type on a command line into request bytes:
-- \r \n \t \\ and \xHH.  Anything else after a backslash is kept as it is.
local ESCAPES = { r = "\r", n = "\n", t = "\t", ["\\"] = "\\" }
function M.unescape(s)
  local out, i = {}, 1
  while i <= #s do
    local c = s:sub(i, i)
    local hex = c == "\\" and s:match("^x(%x%x)", i + 1)
    if hex then
      out[#out + 1] = string.char(tonumber(hex, 16))
      i = i + 4
    elseif c == "\\" and ESCAPES[s:sub(i + 1, i + 1)] then
      out[#out + 1] = ESCAPES[s:sub(i + 1, i + 1)]
      i = i + 2
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out)
end

-- Resolve a step's host, then run fn(address): evidence, status, findings.  A name
-- that does not resolve, or a probe that could not run (no route for the family, no
-- ICMP socket), is a failed step with the reason as evidence.
local function with_address(a, fn)
  local address, err = probe.address(a.host)
  if not address then
    return { status = "unresolved", host = a.host, error = err }, "failed",
      { { severity = "error", text = err } }
  end
  local ev, perr = fn(address)
  if not ev then
    return { status = "error", host = a.host, address = address, error = perr }, "failed",
      { { severity = "error", text = perr } }
  end
  ev.host = a.host
  return ev
end

M.kinds.route = {
  summary = "the kernel's route to an address (like ip route get): gateway, interface, source",
  args = {
    host = { type = "host", required = true },
  },
  run = function(_, a)
    local ev, st, f = with_address(a, function(addr) return probe.route{ address = addr } end)
    if st then return ev, st, f end
    if ev.status ~= "ok" then
      return ev, "failed", { { severity = "error", text = string.format(
        "this host has no usable route to %s (%s: %s)", ev.address, ev.type or "none", ev.error or "") } }
    end
    return ev, "ok"
  end,
}

local common = {
  pps = { type = "int", default = 100, min = 1, max = 10000 },
  burst = { type = "int", default = 48, min = 1, max = 1000 },
}

local function args(t)
  for k, v in pairs(common) do t[k] = t[k] or v end
  return t
end

M.kinds.tcp_request = {
  summary = "connect, send a request, and classify the answer: response, reset, close or silence (content filters that reset flows)",
  args = {
    host = { type = "host", required = true },
    port = { type = "port", required = true },
    send = { type = "string", required = true },
    timeout_ms = { type = "int", default = 2000, min = 1, max = 60000 },
    read_timeout_ms = { type = "int", default = 3000, min = 1, max = 60000 },
  },
  run = function(_, a)
    local req = M.unescape(a.send)
    if #req < 1 or #req > 4096 then
      return { status = "error", error = "the request must be 1..4096 bytes" }, "failed",
        { { severity = "error", text = "the request must be 1..4096 bytes" } }
    end
    local ev, st = with_address(a, function(addr)
      return probe.tcp_connect{ address = addr, port = a.port, timeout_ms = a.timeout_ms,
        send = req, read_timeout_ms = a.read_timeout_ms }
    end)
    if st then return ev, st end
    ev.sent = (req:match("^[^\r\n]*"))
    local r = ev.request
    if ev.status ~= "connected" or not r then
      return ev, "failed", { { severity = "error", text = string.format(
        "no connection to %s port %d to send the request on (%s)", ev.address, a.port, ev.status) } }
    end
    if r.status == "response" then return ev, "ok" end
    local text
    if r.status == "reset" then
      text = string.format("the connection to %s port %d was reset after the request (%d answer bytes before)",
        ev.address, a.port, r.bytes or 0)
    elseif r.status == "closed" then
      text = string.format("%s port %d closed the connection after the request without answering", ev.address, a.port)
    else
      text = string.format("no answer to the request from %s port %d (%s)", ev.address, a.port, r.status)
    end
    return ev, "failed", { { severity = "error", text = text } }
  end,
}

M.kinds.ping = {
  summary = "ICMP echo (ping): loss, min/avg/max/stddev/jitter, reply TTL",
  args = args{
    host = { type = "host", required = true },
    count = { type = "int", default = 5, min = 1, max = 1000 },
    interval_ms = { type = "int", default = 200, min = 10, max = 60000 },
    size_bytes = { type = "int", default = 56, min = 8, max = 8952 },
    df = { type = "bool", default = false },
    timeout_ms = { type = "int", default = 1000, min = 1, max = 60000 },
  },
  run = function(_, a)
    local ev, st = with_address(a, function(addr)
      return probe.ping{ address = addr, count = a.count, interval_ms = a.interval_ms,
        size_bytes = a.size_bytes, df = a.df, timeout_ms = a.timeout_ms, pps = a.pps,
        burst = a.burst }
    end)
    if st then return ev, st end
    local findings = {}
    if ev.status == "loss" then
      findings[1] = { severity = "warn", text = string.format("%d of %d echo requests to %s lost",
        ev.sent - ev.received, ev.sent, ev.address) }
    elseif ev.status == "no_reply" then
      findings[1] = { severity = "warn", text = string.format("no echo reply from %s", ev.address) }
    end
    return ev, ev.status == "ok" and "ok" or "failed", findings
  end,
}

M.kinds.trace = {
  summary = "traceroute over icmp, udp or tcp: all TTLs at once, constant flow (Paris)",
  args = args{
    host = { type = "host", required = true },
    proto = { type = "enum", values = { "icmp", "udp", "tcp" }, default = "icmp" },
    port = { type = "port" },
    max_ttl = { type = "int", default = 30, min = 1, max = 64 },
    queries = { type = "int", default = 3, min = 1, max = 10 },
    timeout_ms = { type = "int", default = 2000, min = 10, max = 60000 },
    window = { type = "int", default = 32, min = 1, max = 640 },
  },
  run = function(_, a)
    if a.proto == "tcp" and not a.port then
      return { status = "error", error = "a tcp trace needs a port" }, "failed"
    end
    local ev, st = with_address(a, function(addr)
      return probe.trace{ address = addr, proto = a.proto, port = a.port, max_ttl = a.max_ttl,
        queries = a.queries, timeout_ms = a.timeout_ms, window = a.window, pps = a.pps,
        burst = a.burst }
    end)
    if st then return ev, st end
    local findings = {}
    if not ev.reached then
      findings[1] = { severity = "warn", text = string.format(
        "%s trace to %s stopped (%s) after hop %s", a.proto, ev.address, ev.stop,
        tostring(ev.last_ttl or 0)) }
    end
    return ev, ev.reached and "ok" or "failed", findings
  end,
}

M.kinds.traces = {
  summary = "ICMP, UDP and TCP traces of one target at once (seed step 2, side by side)",
  args = args{
    host = { type = "host", required = true },
    port = { type = "port", required = true },
    max_ttl = { type = "int", default = 30, min = 1, max = 64 },
    queries = { type = "int", default = 3, min = 1, max = 10 },
    timeout_ms = { type = "int", default = 2000, min = 10, max = 60000 },
    window = { type = "int", default = 32, min = 1, max = 640 },
  },
  run = function(_, a)
    local ev, st = with_address(a, function(addr)
      return probe.trace{ address = addr, protos = { "icmp", "udp", "tcp" }, port = a.port,
        max_ttl = a.max_ttl, queries = a.queries, timeout_ms = a.timeout_ms, window = a.window,
        pps = a.pps, burst = a.burst }
    end)
    if st then return ev, st end
    local findings, all = {}, true
    for _, p in ipairs({ "icmp", "udp", "tcp" }) do
      local t = ev[p]
      if type(t) == "table" and not t.reached then
        all = false
        findings[#findings + 1] = { severity = "warn", text = string.format(
          "%s trace to %s stopped (%s) after hop %s", p, tostring(t.address), tostring(t.stop),
          tostring(t.last_ttl or 0)) }
      end
    end
    return ev, all and "ok" or "failed", findings
  end,
}

-- How fast per-hop statistics may go, from what the traces saw (`pace_from`).  A hop
-- that limits the ICMP errors it sends (Linux: a bucket of 6, one more a second) answers
-- some of the trace's probes and not others while a farther hop answers: then rounds go
-- at mtr's pace (one a second).  When every hop answered every probe it was sent (9 at
-- once with 3 queries and 3 protocols, more than Linux's bucket) nothing limits at that
-- rate: rounds go at the fast pace, at least 3 round trips apart, and the probe still
-- slows down if a hop starts missing rounds.  Returns {fast, reason, hop, received,
-- sent, proto, max_rtt_ms}.
function M.trace_pace(tr)
  local worst, max_rtt, any = nil, 0, false
  for _, p in ipairs({ "icmp", "udp", "tcp" }) do
    local t = type(tr) == "table" and tr[p]
    if type(t) == "table" and type(t.hops) == "table" then
      any = true
      -- the farthest TTL that answered, not past the destination (probes beyond it that
      -- left before its answer came back are answered by the destination itself)
      local top, cap = 0, t.reached and t.reached_ttl or math.huge
      for _, h in ipairs(t.hops) do
        if (h.received or 0) > 0 and (h.ttl or 0) <= cap then top = math.max(top, h.ttl or 0) end
        for _, rp in ipairs(h.replies or {}) do
          if type(rp.rtt_ms) == "number" then max_rtt = math.max(max_rtt, rp.rtt_ms) end
        end
      end
      for _, h in ipairs(t.hops) do
        local got, sent = h.received or 0, h.sent or 0
        if (h.ttl or 0) < top and got > 0 and got < sent and not worst then
          worst = { hop = h.ttl, received = got, sent = sent, proto = p }
        end
      end
    end
  end
  if not any then
    return { fast = false, reason = "no traces to judge the hops' ICMP limits by" }
  end
  if worst then
    return { fast = false, hop = worst.hop, received = worst.received, sent = worst.sent,
      proto = worst.proto, max_rtt_ms = max_rtt, reason = string.format(
        "hop %d answered %d of %d %s trace probes while farther hops answered (an ICMP rate limit, or loss)",
        worst.hop, worst.received, worst.sent, worst.proto) }
  end
  return { fast = true, max_rtt_ms = max_rtt,
    reason = "every hop answered every trace probe it was sent" }
end

M.kinds.mtr = {
  summary = "per-hop loss and latency over rounds (mtr -r): Loss% Snt Last Avg Best Wrst StDev",
  args = args{
    host = { type = "host", required = true },
    proto = { type = "enum", values = { "icmp", "udp", "tcp" }, default = "icmp" },
    port = { type = "port" },
    rounds = { type = "int", default = 10, min = 1, max = 1000 },
    interval_ms = { type = "int", default = 1000, min = 100, max = 60000 },
    max_ttl = { type = "int", default = 30, min = 1, max = 64 },
    timeout_ms = { type = "int", default = 2000, min = 10, max = 60000 },
    pace_from = { type = "string" },
    fast_interval_ms = { type = "int", default = 250, min = 100, max = 60000 },
    also_tcp_port = { type = "port" },
  },
  run = function(ctx, a)
    if a.proto == "tcp" and not a.port then
      return { status = "error", error = "a tcp mtr needs a port" }, "failed"
    end
    if a.also_tcp_port and (a.proto ~= "icmp" or not a.pace_from) then
      return { status = "error", error = "also_tcp_port goes with an icmp mtr paced from a traces step (pace_from)" }, "failed"
    end
    local pace
    if a.pace_from then
      local st = ctx and ctx.steps and ctx.steps[a.pace_from]
      pace = M.trace_pace(st and st.evidence)
      pace.interval_ms = a.interval_ms
      if pace.fast then
        -- at least three round trips between rounds, so a round's farthest answers are in
        -- before the next round is judged
        local fast = math.max(a.fast_interval_ms, math.ceil(3 * (pace.max_rtt_ms or 0)))
        if fast < a.interval_ms then
          pace.interval_ms, pace.slow_interval_ms = fast, a.interval_ms
        else
          pace.fast = false
          pace.reason = pace.reason .. ", but the round trip is too long to go faster"
        end
      end
    end
    local protos = { a.proto }
    if a.also_tcp_port then
      if pace.fast then
        protos[2] = "tcp"
      else
        pace.tcp_left_out = true -- a second protocol would double the rate at each hop
      end
    end
    local show = ctx and ctx.progress
    local ev, st = with_address(a, function(addr)
      local r, err = probe.mtr{ address = addr, proto = #protos == 1 and a.proto or nil,
        protos = #protos > 1 and protos or nil, port = a.also_tcp_port or a.port,
        rounds = a.rounds, progress = show and function(snap) show("hops", snap) end,
        interval_ms = pace and pace.interval_ms or a.interval_ms,
        slow_interval_ms = pace and pace.slow_interval_ms, max_ttl = a.max_ttl,
        timeout_ms = a.timeout_ms, pps = a.pps, burst = a.burst }
      if r and #protos > 1 then
        local main = r[a.proto]
        main.tcp = r.tcp
        r = main
      end
      return r, err
    end)
    if st then return ev, st end
    if pace then
      pace.slowed_round, pace.slow_hop = ev.slowed_round, ev.slow_hop
      ev.pace = pace
    end
    local last = ev.hops[#ev.hops]
    if last and last.loss_pct > 0 then
      return ev, "failed", { { severity = "warn", text = string.format(
        "%.0f%% loss at the last hop (%s)", last.loss_pct, last.address or "?") } }
    end
    return ev, "ok"
  end,
}

M.kinds.tcp_syn = {
  summary = "one half-open TCP SYN: syn_ack / rst / icmp / timeout, reply TTL and IP ID",
  args = args{
    host = { type = "host", required = true },
    port = { type = "port", required = true },
    timeout_ms = { type = "int", default = 2000, min = 1, max = 60000 },
  },
  run = function(_, a)
    local ev, st = with_address(a, function(addr)
      return probe.tcp_syn{ address = addr, port = a.port, timeout_ms = a.timeout_ms, pps = a.pps,
        burst = a.burst }
    end)
    if st then return ev, st end
    return ev, ev.status == "syn_ack" and "ok" or "failed"
  end,
}

M.kinds.udp = {
  summary = "one UDP port probe: answer / port_unreachable / icmp / open_filtered (nmap -sU)",
  args = args{
    host = { type = "host", required = true },
    port = { type = "port", required = true },
    timeout_ms = { type = "int", default = 2000, min = 1, max = 60000 },
  },
  run = function(_, a)
    local ev, st = with_address(a, function(addr)
      return probe.udp{ address = addr, port = a.port, timeout_ms = a.timeout_ms, pps = a.pps,
        burst = a.burst }
    end)
    if st then return ev, st end
    return ev, ev.status == "answer" and "ok" or "failed"
  end,
}

M.kinds.pmtu = {
  summary = "path MTU by DF probes in rounds: frag-needed source, blackhole detection and its hop",
  args = args{
    host = { type = "host", required = true },
    proto = { type = "enum", values = { "icmp", "udp" }, default = "icmp" },
    port = { type = "port" },
    max_size = { type = "int", min = 68, max = 9000 },
    timeout_ms = { type = "int", default = 1000, min = 10, max = 30000 },
    max_ttl = { type = "int", default = 30, min = 1, max = 64 },
  },
  run = function(_, a)
    local ev, st = with_address(a, function(addr)
      return probe.pmtu{ address = addr, proto = a.proto, port = a.port, max_size = a.max_size,
        timeout_ms = a.timeout_ms, max_ttl = a.max_ttl, pps = a.pps, burst = a.burst }
    end)
    if st then return ev, st end
    if ev.status == "blackhole" then
      local where = ""
      if ev.hop then
        where = string.format("; hop %d (%s) is the last that answers full-size probes", ev.hop,
          tostring(ev.hop_address))
      end
      return ev, "failed", { { severity = "error", text = string.format(
        "packets of %d bytes and more vanish with no ICMP (path MTU %s)%s", ev.smallest_lost,
        tostring(ev.path_mtu), where) } }
    elseif ev.status == "lossy" then
      return ev, "ok", { { severity = "warning", text = string.format(
        "packets of %d bytes vanished, but so did smaller ones at random: the path MTU could not be told from loss",
        ev.smallest_lost or 0) } }
    end
    return ev, "ok"
  end,
}

M.kinds.listening = {
  summary = "is anything listening on this host's port (ss -ltn / ss -lun, over sock_diag)",
  args = {
    port = { type = "port", required = true },
    proto = { type = "enum", values = { "tcp", "udp" }, default = "tcp" },
  },
  run = function(_, a)
    local ev, err = probe.listening{ port = a.port, proto = a.proto }
    if not ev then
      return { status = "error", error = err, port = a.port, proto = a.proto }, "failed",
        { { severity = "error", text = err } }
    end
    if ev.status ~= "listening" then
      return ev, "failed", { { severity = "error", text = string.format(
        "nothing listens on %s port %d on this host", a.proto, a.port) } }
    end
    return ev, "ok"
  end,
}

M.kinds.fw = {
  summary = "this host's firewall for a flow, with the rule that decides: outbound (this host connecting to host:port, and the replies) or inbound (host connecting to this host's port)",
  args = {
    host = { type = "host", required = true },
    port = { type = "port" },
    proto = { type = "enum", values = { "tcp", "udp", "icmp" }, default = "tcp" },
    direction = { type = "enum", values = { "outbound", "inbound" }, default = "outbound" },
  },
  run = function(_, a)
    local fw = require "nrb.fw"
    local ev, st, f = with_address(a, function(addr)
      local route = probe.route{ address = addr } or {}
      local e
      if a.direction == "inbound" then
        e = fw.check_inbound{ src = addr, dst = route.prefsrc, port = a.port, proto = a.proto, iif = route.dev }
      else
        e = fw.check_flow{ dst = addr, port = a.port, proto = a.proto, src = route.prefsrc, oif = route.dev }
      end
      e.address, e.port, e.proto, e.flow = addr, a.port, a.proto, a.direction
      return e
    end)
    if st then return ev, st, f end
    if ev.decision == "drop" or ev.decision == "reject" then
      local rule = ev.rule and (ev.rule.ref or ev.rule.text) or "a rule"
      local flow = a.direction == "inbound" and string.format("%s from %s to this host's port %s", a.proto, ev.address, tostring(a.port or "any"))
        or string.format("%s to %s port %s", a.proto, ev.address, tostring(a.port or "any"))
      return ev, "failed", { { severity = "error", text = string.format(
        "this host's firewall would %s %s (%s): %s", ev.decision, flow, ev.direction, rule) } }
    end
    if ev.decision == "uncertain" then
      return ev, "ok", { { severity = "warn", text = "the local firewall check is inconclusive: " ..
        table.concat(ev.notes or {}, "; ") } }
    end
    return ev, "ok"
  end,
}

-- Firewall counters over a window: fw_snapshot keeps a snapshot of this host's rulesets
-- (with their counters) in ctx.fw_snapshots[its step id]; fw_hits, naming it, takes another
-- and lists the rules and chain policies whose packet counters rose in between -- which
-- rules the packets of the window hit (the server-side runbook: while the client
-- reproduces).  The snapshots are closed by fw_hits or when the run ends.
M.kinds.fw_snapshot = {
  summary = "snapshot this host's firewall counters (iptables-save -c, nft), for a later fw_hits",
  args = {},
  run = function(ctx, _)
    local fw = require "nrb.fw"
    local s, err = fw.snapshot()
    if not s then
      return { status = "error", error = err }, "failed", { { severity = "warn", text =
        "cannot read the firewall counters: " .. tostring(err) } }
    end
    ctx.fw_snapshots = ctx.fw_snapshots or {}
    ctx.fw_snapshots[ctx.step_id] = s
    return { status = "taken" }, "ok"
  end,
}

M.kinds.fw_hits = {
  summary = "the firewall rules whose counters rose since an fw_snapshot step (what the window's packets hit)",
  args = {
    snapshot = { type = "string", required = true },
    min_packets = { type = "int", default = 1, min = 1, max = 1000000 },
  },
  run = function(ctx, a)
    local fw = require "nrb.fw"
    local before = ctx.fw_snapshots and ctx.fw_snapshots[a.snapshot]
    if not before then
      return { status = "error", error = "no firewall snapshot from step '" .. a.snapshot .. "'" }, "failed"
    end
    ctx.fw_snapshots[a.snapshot] = nil
    local after, err = fw.snapshot()
    if not after then
      before:close()
      return { status = "error", error = err }, "failed"
    end
    local hits = before:diff(after, a.min_packets)
    before:close()
    after:close()
    local findings = {}
    for _, h in ipairs(hits) do
      if h.verdict == "drop" or h.verdict == "reject" then
        findings[#findings + 1] = { severity = "error", text = string.format(
          "%s %s (%s/%s) matched %d packet(s) in the window: %s", h.kind, h.ref, h.table, h.chain,
          h.packets, h.text or ("policy " .. h.verdict)) }
      end
    end
    return { status = "ok", hits = json.array(hits), min_packets = a.min_packets },
      #findings > 0 and "failed" or "ok", findings
  end,
}

-- Live capture around other steps: capture_start leaves a running capture (a C thread)
-- in ctx.captures[its step id]; capture_stop, naming that id, stops it and records the
-- analysis as the `capture` evidence the rules read; M.stop_captures stops whatever is
-- still running when the run ends (a capture_stop skipped, in error, or interrupted).
M.kinds.capture_start = {
  summary = "start a packet capture in the background (root or CAP_NET_RAW); capture_stop ends it",
  args = {
    host = { type = "host" },
    port = { type = "port" },
    interface = { type = "string" },
    filter = { type = "string" },
    file = { type = "string" },
    duration_ms = { type = "int", default = 60000, min = 1, max = 3600000 },
    max_packets = { type = "int", default = 100000, min = 1, max = 10000000 },
  },
  run = function(ctx, a)
    local capture = require "nrb.capture"
    local file = a.file ~= "" and a.file or nil
    local h, err = capture.start{ host = a.host, port = a.port, interface = a.interface ~= "" and a.interface or nil,
      filter = a.filter, file = file, duration_ms = a.duration_ms, max_packets = a.max_packets }
    if not h then
      -- not "error": a capture is extra evidence, its absence does not weaken the others
      return { status = "not_started", host = a.host, error = err }, "failed",
        { { severity = "warn", text = "no capture: " .. tostring(err) } }
    end
    ctx.captures = ctx.captures or {}
    ctx.captures[ctx.step_id or "capture"] = h
    local info = h:info()
    return { status = "running", host = a.host, address = info.address, port = info.port,
             interface = info.interface, filter = info.filter, file = info.file,
             duration_ms = a.duration_ms, started = host.utc_now() }, "ok"
  end,
}

M.kinds.capture_stop = {
  summary = "stop the capture a capture_start step started and analyse it (connections, reset provenance, ICMP)",
  args = {
    capture = { type = "string", required = true },
    port = { type = "port" },
    min_ms = { type = "int", default = 0, min = 0, max = 3600000 },
  },
  run = function(ctx, a)
    local capture = require "nrb.capture"
    local h = ctx.captures and ctx.captures[a.capture]
    if not h then
      local st = ctx.steps and ctx.steps[a.capture]
      local why = st and string.format("step '%s' did not start a capture (%s)", a.capture,
        st.evidence and st.evidence.error or st.status) or string.format("no step '%s' started a capture", a.capture)
      return { status = "not_started", error = why }, "failed", { { severity = "warn", text = why } }
    end
    ctx.captures[a.capture] = nil
    -- min_ms: the capture window (e.g. while the client reproduces, on the server); the
    -- wait is in C (sleeping, bounded by the step's time limit, ended by Ctrl-C)
    local r, err = h:stop{ min_ms = a.min_ms }
    if not r then
      return { status = "not_started", error = err }, "failed", { { severity = "warn", text = err } }
    end
    local st = ctx.steps and ctx.steps[a.capture]
    local started = st and type(st.evidence) == "table" and st.evidence.started or nil
    -- a Ctrl-C that ended the capture's wait is honoured by the stop itself, so this step
    -- still turns the analysis into evidence (core/lua/l_capture.c); a later one stops
    -- the step like any other
    local ev = capture.evidence(r, a.port)
    ev.status = "ok"
    ev.started, ev.stopped = started, host.utc_now()
    local findings = {}
    for _, f in ipairs(r.findings or {}) do
      if f.severity == "problem" then findings[#findings + 1] = { severity = "warn", text = "capture: " .. f.text } end
    end
    return ev, "ok", findings
  end,
}

-- Stop every capture still running (end of a run): the .pcap is completed and the
-- start step's evidence notes it (stopped = "end_of_run", packets, stopped_by).
function M.stop_captures(ctx)
  for id, h in pairs(ctx.captures or {}) do
    local r, err = h:stop()
    local rec = ctx.steps and ctx.steps[id]
    if rec and type(rec.evidence) == "table" then
      rec.evidence.stopped = "end_of_run"
      if r then
        rec.evidence.packets, rec.evidence.stopped_by = r.packets, r.stopped_by
      else
        rec.evidence.error = err
      end
    end
  end
  ctx.captures = {}
  for _, s in pairs(ctx.fw_snapshots or {}) do s:close() end
  ctx.fw_snapshots = {}
end

-- Sorted names of the kinds (for messages).
function M.names()
  local n = {}
  for k in pairs(M.kinds) do n[#n + 1] = k end
  table.sort(n)
  return n
end

return M
