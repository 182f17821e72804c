-- nrb.steps: the step kinds a runbook can name with `uses:`.
--
-- Each kind declares its arguments (typed like runbook parameters, so `nrb check` can
-- reject unknown or ill-typed ones) and a run(ctx, args) function returning
-- evidence, status ("ok" or "failed") and optional findings.  YAML and Lua runbooks
-- call the same functions: one runner, two syntaxes.
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
    if ev.status == "connected" and ev.connected < ev.sent then
      findings[#findings + 1] = { severity = "warn", text = string.format(
        "%d of %d connections to %s port %d failed", ev.sent - ev.connected, ev.sent,
        ev.address, a.port) }
    end
    return ev, ev.connected == ev.sent and "ok" or "failed", findings
  end,
}

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
  },
  run = function(_, a)
    if a.proto == "tcp" and not a.port then
      return { status = "error", error = "a tcp mtr needs a port" }, "failed"
    end
    local ev, st = with_address(a, function(addr)
      return probe.mtr{ address = addr, proto = a.proto, port = a.port, rounds = a.rounds,
        interval_ms = a.interval_ms, max_ttl = a.max_ttl, timeout_ms = a.timeout_ms, pps = a.pps,
        burst = a.burst }
    end)
    if st then return ev, st end
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
  summary = "path MTU by DF probes (binary search): frag-needed source, blackhole detection",
  args = args{
    host = { type = "host", required = true },
    proto = { type = "enum", values = { "icmp", "udp" }, default = "icmp" },
    port = { type = "port" },
    max_size = { type = "int", min = 68, max = 9000 },
    timeout_ms = { type = "int", default = 1000, min = 10, max = 30000 },
  },
  run = function(_, a)
    local ev, st = with_address(a, function(addr)
      return probe.pmtu{ address = addr, proto = a.proto, port = a.port, max_size = a.max_size,
        timeout_ms = a.timeout_ms, pps = a.pps, burst = a.burst }
    end)
    if st then return ev, st end
    if ev.status == "blackhole" then
      return ev, "failed", { { severity = "error", text = string.format(
        "packets of %d bytes and more vanish with no ICMP (path MTU %s)", ev.smallest_lost,
        tostring(ev.path_mtu)) } }
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

-- Sorted names of the kinds (for messages).
function M.names()
  local n = {}
  for k in pairs(M.kinds) do n[#n + 1] = k end
  table.sort(n)
  return n
end

return M
