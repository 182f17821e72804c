-- nrb.probecli: `nrb probe KIND ...` — one probe by hand, printed as a small table a
-- person can read (or JSON with --format json).  Option values are checked with the same
-- types as runbook parameters, so `--port 0` is refused before anything is sent.
local host = require "nrb.core.host"
local json = require "nrb.core.json"
local params = require "nrb.params"
local probe = require "nrb.probe"
local expr = require "nrb.expr"

local M = {}

local fmt = expr.format

-- The target's first address, or nil, message, 1 (exit status: the input's problem) when
-- it does not resolve or is one no probe may be sent to.
local function resolve_one(name)
  local a, err = probe.address(name)
  if not a then return nil, err .. "; nothing sent", 1 end
  return a
end

-- "error: TEXT" when a probe's evidence carries an error (a send that failed, say
-- "Message too long"), so a table of zeros never hides why.
local function error_line(ev)
  return ev.error and ("error: " .. tostring(ev.error)) or nil
end

M.kinds = {}

M.kinds.resolve = {
  usage = "nrb probe resolve HOST [--family any|ipv4|ipv6] [--format text|json]",
  summary = "resolve a name to its addresses (getaddrinfo), with the time it took",
  opts = { family = { type = "enum", values = { "any", "ipv4", "ipv6" }, default = "any" } },
  run = function(target, o)
    return probe.resolve{ host = target, family = o.family }
  end,
  text = function(ev)
    if ev.status ~= "ok" then return string.format("%s: does not resolve (%s)\n", ev.host, ev.error) end
    return string.format("%s: %s (%s ms)\n", ev.host, table.concat(ev.addresses, ", "), fmt(ev.time_ms))
  end,
}

M.kinds.tcp = {
  usage = "nrb probe tcp HOST --port N [--count N] [--timeout-ms N] [--format text|json]",
  summary = "TCP connect to a port, COUNT times (like tcping / nc -vz)",
  opts = {
    port = { type = "port", required = true },
    count = { type = "int", default = 3, min = 1, max = 20 },
    timeout_ms = { type = "int", default = 2000, min = 1, max = 60000 },
  },
  run = function(target, o)
    local ev = probe.tcping{ host = target, port = o.port, count = o.count, timeout_ms = o.timeout_ms }
    -- nothing was sent: an input problem, exit 1 like every other kind
    if ev.status == "unresolved" then
      return nil, string.format("%s does not resolve: %s; nothing sent", target, ev.error or "no address"), 1
    elseif ev.sent == 0 then
      return nil, tostring(ev.error), 1
    end
    return ev
  end,
  text = function(ev)
    local out = { string.format("tcp %s port %d: %s, %d/%d connected", ev.address, ev.port, ev.status,
      ev.connected, ev.sent) }
    if ev.rtt_avg_ms then
      out[1] = out[1] .. string.format(", rtt min/avg/max %s/%s/%s ms", fmt(ev.rtt_min_ms),
        fmt(ev.rtt_avg_ms), fmt(ev.rtt_max_ms))
    end
    out[#out + 1] = string.format("  %-3s %-12s %10s  %s", "#", "status", "time_ms", "error")
    for i, a in ipairs(ev.attempts) do
      out[#out + 1] = string.format("  %-3d %-12s %10s  %s%s", i, a.status, fmt(a.rtt_ms), a.error or "",
        a.errno_name and " (" .. a.errno_name .. ")" or "")
    end
    return table.concat(out, "\n") .. "\n"
  end,
}

M.kinds.route = {
  usage = "nrb probe route HOST [--format text|json]",
  summary = "the kernel's route to an address (like ip route get)",
  opts = {},
  run = function(target)
    local addr, err, code = resolve_one(target)
    if not addr then return nil, err, code end
    local ev, rerr = probe.route{ address = addr }
    if not ev then return nil, rerr end
    return ev
  end,
  text = function(ev)
    if ev.status ~= "ok" then
      -- "route to X: none (Network is unreachable)", "route to X: blackhole, not usable (...)"
      local t = ev.type and ev.type ~= "none" and (ev.type .. ", not usable") or "none"
      return string.format("route to %s: %s (%s)\n", ev.address, t, tostring(ev.error or ev.errno_name or "no route"))
    end
    local parts = { string.format("route to %s: %s", ev.address, ev.type) }
    if ev.gateway then parts[#parts + 1] = "via " .. ev.gateway end
    if ev.dev then parts[#parts + 1] = "dev " .. ev.dev end
    if ev.prefsrc then parts[#parts + 1] = "src " .. ev.prefsrc end
    parts[#parts + 1] = "table " .. (ev.table == 254 and "main" or tostring(ev.table))
    return table.concat(parts, " ") .. "\n"
  end,
}

-- The asynchronous probes: resolve the target, then call the probe.
local function via(fn)
  return function(target, o)
    local addr, err, code = resolve_one(target)
    if not addr then return nil, err, code end
    return fn(addr, o)
  end
end

local function ms(v) return v and fmt(v) or "*" end

M.kinds.ping = {
  usage = "nrb probe ping HOST [--count N] [--interval-ms N] [--size-bytes N] [--df true] [--timeout-ms N] [--pps N]",
  summary = "ICMP echo: loss, min/avg/max/stddev/jitter, reply TTL",
  short = { c = "count", i = "interval_ms", s = "size_bytes" },
  opts = {
    count = { type = "int", default = 5, min = 1, max = 1000 },
    interval_ms = { type = "int", default = 200, min = 10, max = 60000 },
    size_bytes = { type = "int", default = 56, min = 8, max = 8952 },
    df = { type = "bool", default = false },
    timeout_ms = { type = "int", default = 1000, min = 1, max = 60000 },
    pps = { type = "int", default = 100, min = 1, max = 10000 },
  },
  run = via(function(addr, o)
    return probe.ping{ address = addr, count = o.count, interval_ms = o.interval_ms,
      size_bytes = o.size_bytes, df = o.df, timeout_ms = o.timeout_ms, pps = o.pps }
  end),
  text = function(ev)
    local out = { string.format("ping %s: %s, %d sent, %d received, %s%% loss", ev.address, ev.status,
      ev.sent, ev.received, fmt(ev.loss_pct)) }
    if ev.rtt_avg_ms then
      out[#out + 1] = string.format("rtt min/avg/max/stddev %s/%s/%s/%s ms, jitter %s ms, reply ttl %s",
        fmt(ev.rtt_min_ms), fmt(ev.rtt_avg_ms), fmt(ev.rtt_max_ms), fmt(ev.rtt_stddev_ms),
        fmt(ev.jitter_ms), tostring(ev.reply_ttl))
    end
    for _, e in ipairs(ev.errors) do
      out[#out + 1] = string.format("  ICMP %s from %s (type %d code %d)", e.kind, e.from, e.type, e.code)
    end
    out[#out + 1] = error_line(ev)
    if ev.degraded then out[#out + 1] = "degraded: " .. ev.degraded end
    return table.concat(out, "\n") .. "\n"
  end,
}

local function trace_text(ev)
  local out = { string.format("%s trace to %s%s: %s%s", ev.proto, ev.address,
    ev.port and (" port " .. ev.port) or "", ev.stop,
    ev.reached and string.format(" (%s%s)", ev.dest_answer,
      ev.reached_ttl and (" at ttl " .. ev.reached_ttl) or ", by connect()") or "") }
  for _, h in ipairs(ev.hops) do
    local parts = {}
    for _, r in ipairs(h.replies) do
      parts[#parts + 1] = string.format("%s %s ms %s ttl=%s", r.address, fmt(r.rtt_ms), r.kind,
        tostring(r.reply_ttl))
    end
    out[#out + 1] = string.format("%3d  %s", h.ttl, #parts > 0 and table.concat(parts, "; ") or "*")
  end
  if ev.unreachable then
    out[#out + 1] = string.format("unreachable: %s from %s at ttl %d", ev.unreachable.kind,
      ev.unreachable.from, ev.unreachable.ttl)
  end
  out[#out + 1] = error_line(ev)
  if ev.degraded then out[#out + 1] = "degraded: " .. ev.degraded end
  return table.concat(out, "\n") .. "\n"
end

-- One target's traces as text: one protocol's table, or each of --proto all's.
local function traces_text(ev)
  if ev.hops then return trace_text(ev) end
  local out = {}
  for _, p in ipairs{ "icmp", "udp", "tcp" } do
    if ev[p] then out[#out + 1] = trace_text(ev[p]) end
  end
  return table.concat(out, "\n")
end

M.kinds.trace = {
  usage = "nrb probe trace HOST [HOST...] [--proto icmp|udp|tcp|all] [--port N] [--max-ttl N] [--queries N] [--timeout-ms N] [--window N] [--pps N] [--burst N]",
  summary = "traceroute over icmp/udp/tcp (all: the three at once) to up to 8 targets at once, up to --window probes in flight per trace",
  short = { p = "port", m = "max_ttl", q = "queries", P = "proto" },
  max_targets = 8,
  opts = {
    proto = { type = "enum", values = { "icmp", "udp", "tcp", "all" }, default = "icmp" },
    port = { type = "port" },
    max_ttl = { type = "int", default = 30, min = 1, max = 64 },
    queries = { type = "int", default = 3, min = 1, max = 10 },
    timeout_ms = { type = "int", default = 2000, min = 10, max = 60000 },
    window = { type = "int", default = 32, min = 1, max = 640 },
    pps = { type = "int", default = 100, min = 1, max = 10000 },
    burst = { type = "int", default = 48, min = 1, max = 1000 },
  },
  -- several targets: every one resolved first, then all their traces in one session
  -- (the JSON is then keyed by address)
  run = function(target, o, targets)
    if (o.proto == "tcp" or o.proto == "all") and not o.port then
      return nil, "a tcp trace needs --port; nothing sent", 1
    end
    local addrs, seen = {}, {}
    for _, name in ipairs(targets or { target }) do
      local addr, err, code = resolve_one(name)
      if not addr then return nil, err, code end
      if seen[addr] then
        return nil, string.format("%s and %s are the same address (%s); nothing sent", seen[addr], name, addr), 1
      end
      seen[addr] = name
      addrs[#addrs + 1] = addr
    end
    local t = { port = o.port, max_ttl = o.max_ttl, queries = o.queries,
      timeout_ms = o.timeout_ms, window = o.window, pps = o.pps, burst = o.burst }
    if #addrs == 1 then t.address = addrs[1] else t.addresses = addrs end
    if o.proto == "all" then t.protos = { "icmp", "udp", "tcp" } else t.proto = o.proto end
    local ev, err = probe.trace(t)
    -- the addresses in the order given, for the text (the evidence is keyed by address)
    return ev, err, nil, #addrs > 1 and addrs or nil
  end,
  text = function(ev, order)
    if not order then return traces_text(ev) end
    local out = {}
    for _, a in ipairs(order) do out[#out + 1] = traces_text(ev[a]) end
    return table.concat(out, "\n")
  end,
}

M.kinds.mtr = {
  usage = "nrb probe mtr HOST [-c|--rounds N] [--interval-ms N] [--slow-interval-ms N] [--proto icmp|udp|tcp] [--port N] [--max-ttl N] [--pps N]",
  summary = "per-hop statistics over rounds, like mtr -r",
  short = { c = "rounds", i = "interval_ms", p = "port" },
  opts = {
    rounds = { type = "int", default = 10, min = 1, max = 1000 },
    interval_ms = { type = "int", default = 1000, min = 100, max = 60000 },
    slow_interval_ms = { type = "int", min = 100, max = 60000 },
    proto = { type = "enum", values = { "icmp", "udp", "tcp" }, default = "icmp" },
    port = { type = "port" },
    max_ttl = { type = "int", default = 30, min = 1, max = 64 },
    timeout_ms = { type = "int", default = 2000, min = 10, max = 60000 },
    pps = { type = "int", default = 100, min = 1, max = 10000 },
  },
  run = via(function(addr, o)
    if o.proto == "tcp" and not o.port then return nil, "a tcp mtr needs --port; nothing sent", 1 end
    if o.slow_interval_ms and o.slow_interval_ms <= o.interval_ms then
      return nil, "--slow-interval-ms must be longer than --interval-ms; nothing sent", 1
    end
    return probe.mtr{ address = addr, proto = o.proto, port = o.port, rounds = o.rounds,
      interval_ms = o.interval_ms, slow_interval_ms = o.slow_interval_ms, max_ttl = o.max_ttl,
      timeout_ms = o.timeout_ms, pps = o.pps }
  end),
  text = function(ev)
    local out = { string.format("mtr %s (%s%s), %d rounds", ev.address, ev.proto,
      ev.port and (" port " .. ev.port) or "", ev.rounds),
      string.format("%4s %-40s %6s %-8s %5s %7s %7s %7s %7s %7s", "", "Host", "Loss%", "Loss", "Snt",
        "Last", "Avg", "Best", "Wrst", "StDev") }
    for _, h in ipairs(ev.hops) do
      out[#out + 1] = string.format("%3d. %-40s %5.1f%% %-8s %5d %7s %7s %7s %7s %7s", h.ttl,
        h.address or "???", h.loss_pct, h.loss or "", h.sent, ms(h.last_ms), ms(h.avg_ms), ms(h.best_ms),
        ms(h.worst_ms), ms(h.stdev_ms))
    end
    out[#out + 1] = "Loss: local = this hop's own (a later hop answers with less: ICMP rate limit, not a broken path);"
      .. " persists = carries on to the last hop"
    if ev.slowed_round then
      out[#out + 1] = string.format("rounds every %s ms, from round %d every %s ms: hop %s missed a round a farther hop answered (ICMP rate limit)",
        fmt(ev.interval_ms), ev.slowed_round, fmt(ev.slow_interval_ms), tostring(ev.slow_hop))
    end
    if ev.degraded then out[#out + 1] = "degraded: " .. ev.degraded end
    return table.concat(out, "\n") .. "\n"
  end,
}

local function port_text(name)
  return function(ev)
    local s = string.format("%s %s port %d: %s", name, ev.address, ev.port, ev.status)
    if ev.from then
      s = s .. string.format(" from %s in %s ms, ttl %s", ev.from, fmt(ev.rtt_ms), tostring(ev.reply_ttl))
      if ev.reply_ipid then s = s .. ", ip id " .. ev.reply_ipid end
    end
    if ev.icmp then s = s .. string.format(" (ICMP %s type %d code %d)", ev.icmp.kind, ev.icmp.type, ev.icmp.code) end
    if ev.error then s = s .. "\n" .. error_line(ev) end
    if ev.degraded then s = s .. "\ndegraded: " .. ev.degraded end
    return s .. "\n"
  end
end

M.kinds.tcp_syn = {
  usage = "nrb probe tcp_syn HOST --port N [--timeout-ms N]",
  summary = "one half-open SYN: syn_ack / rst / icmp / timeout",
  short = { p = "port" },
  opts = {
    port = { type = "port", required = true },
    timeout_ms = { type = "int", default = 2000, min = 1, max = 60000 },
  },
  run = via(function(addr, o)
    return probe.tcp_syn{ address = addr, port = o.port, timeout_ms = o.timeout_ms }
  end),
  text = port_text("tcp_syn"),
}

M.kinds.udp = {
  usage = "nrb probe udp HOST --port N [--timeout-ms N]",
  summary = "one UDP port probe: answer / port_unreachable / icmp / open_filtered",
  short = { p = "port" },
  opts = {
    port = { type = "port", required = true },
    timeout_ms = { type = "int", default = 2000, min = 1, max = 60000 },
  },
  run = via(function(addr, o)
    return probe.udp{ address = addr, port = o.port, timeout_ms = o.timeout_ms }
  end),
  text = port_text("udp"),
}

M.kinds.pmtu = {
  usage = "nrb probe pmtu HOST [--proto icmp|udp] [--port N] [--max-size N] [--timeout-ms N] [--max-ttl N]",
  summary = "path MTU with DF probes: where frag-needed came from, blackhole detection",
  opts = {
    proto = { type = "enum", values = { "icmp", "udp" }, default = "icmp" },
    port = { type = "port" },
    max_size = { type = "int", min = 68, max = 9000 },
    timeout_ms = { type = "int", default = 1000, min = 10, max = 30000 },
    max_ttl = { type = "int", default = 30, min = 1, max = 64 },
  },
  run = via(function(addr, o)
    return probe.pmtu{ address = addr, proto = o.proto, port = o.port, max_size = o.max_size,
      timeout_ms = o.timeout_ms, max_ttl = o.max_ttl }
  end),
  text = function(ev)
    local out = { string.format("pmtu %s: %s, path MTU %s (local %d)%s", ev.address, ev.status,
      tostring(ev.path_mtu), ev.local_mtu, ev.smallest_lost and (", smallest lost " .. ev.smallest_lost) or "") }
    if ev.reported then
      out[#out + 1] = string.format("reported MTU %d by %s", ev.reported.mtu, ev.reported.from)
    end
    if ev.hop then
      out[#out + 1] = string.format("last hop answering full-size probes: %d (%s)", ev.hop, ev.hop_address)
    end
    if ev.next_hop then
      out[#out + 1] = string.format("first hop answering only small probes: %d (%s)", ev.next_hop, ev.next_hop_address)
    end
    if ev.send_errors then
      out[#out + 1] = string.format("error: %d probe(s) could not be sent (%s)", ev.send_errors, tostring(ev.send_error))
    end
    if (ev.random_losses or 0) > 0 then
      out[#out + 1] = string.format("sizes lost at random (a larger size passed): %d", ev.random_losses)
    end
    out[#out + 1] = string.format("%d round(s); round  size  result", ev.rounds or 0)
    for _, p in ipairs(ev.probes) do out[#out + 1] = string.format("  %2d  %5d  %s", p.round or 0, p.size_bytes, p.result) end
    if ev.degraded then out[#out + 1] = "degraded: " .. ev.degraded end
    return table.concat(out, "\n") .. "\n"
  end,
}

M.kinds.listen = {
  usage = "nrb probe listen --port N [--proto tcp|udp] [--format text|json]",
  summary = "is anything listening on this host's port (like ss -ltn), no target needed",
  opts = {
    port = { type = "port", required = true },
    proto = { type = "enum", values = { "tcp", "udp" }, default = "tcp" },
  },
  no_target = true,
  run = function(_, o)
    return probe.listening{ port = o.port, proto = o.proto }
  end,
  text = function(ev)
    if ev.status ~= "listening" then
      return string.format("%s port %d: nothing listens on this host\n", ev.proto, ev.port)
    end
    local out = { string.format("%s port %d: %d socket(s) listening", ev.proto, ev.port, #ev.sockets) }
    for _, k in ipairs(ev.sockets) do
      out[#out + 1] = string.format("  %-40s backlog %d, queued %d, uid %d", k.address, k.backlog, k.queued, k.uid)
    end
    return table.concat(out, "\n") .. "\n"
  end,
}

local function names()
  local n = {}
  for k in pairs(M.kinds) do n[#n + 1] = k end
  table.sort(n)
  return n
end

function M.usage()
  local out = { "usage: nrb probe KIND TARGET [OPTIONS]", "", "Run one probe by hand and print what it saw.", "", "kinds:" }
  for _, k in ipairs(names()) do
    local also = {}
    for a, target in pairs(M.ALIASES) do if target == k then also[#also + 1] = a end end
    table.sort(also)
    out[#out + 1] = string.format("  %-8s %s%s", k, M.kinds[k].summary,
      #also > 0 and " (also: " .. table.concat(also, ", ") .. ")" or "")
  end
  out[#out + 1] = string.format("  %-8s %s", "fw", "this host's firewall decision for a flow, with the rule path (nrb probe fw --help)")
  out[#out + 1] = ""
  out[#out + 1] = "`nrb probe KIND --help` shows a kind's options; --format json prints the evidence table."
  return table.concat(out, "\n") .. "\n"
end

-- Other names a kind answers to: DESIGN.md's CLI lists `dns` for name resolution.
M.ALIASES = { dns = "resolve" }

local function usage_error(msg, kind)
  host.write_stderr("nrb: " .. msg .. "\nTry 'nrb probe " .. (kind and (kind .. " ") or "") .. "--help' for more information.\n")
  return 2
end

-- o.argv: the arguments after `probe`.
function M.main(o)
  local argv = o.argv or {}
  local kind_name = argv[1]
  if kind_name == nil then return usage_error("which probe? (" .. table.concat(names(), ", ") .. ")") end
  if kind_name == "--help" or kind_name == "-h" then host.write_stdout(M.usage()); return 0 end
  local kind = M.kinds[kind_name] or M.kinds[M.ALIASES[kind_name] or ""]
  if not kind then
    return usage_error(string.format("unknown probe '%s' (known: %s)", kind_name, table.concat(names(), ", ")))
  end
  local raw, target, targets, format = {}, nil, {}, "text"
  local i = 2
  while i <= #argv do
    local a = argv[i]
    if a == "--help" or a == "-h" then
      host.write_stdout("usage: " .. kind.usage .. "\n\n" .. kind.summary .. "\n")
      return 0
    elseif a:match("^%-%a$") and kind.short and kind.short[a:sub(2)] then
      i = i + 1
      if argv[i] == nil then return usage_error(a .. " needs a value", kind_name) end
      raw[kind.short[a:sub(2)]] = argv[i]
    elseif a:sub(1, 2) == "--" then
      local name, val = a:sub(3):match("^([^=]+)=(.*)$")
      if not name then
        name = a:sub(3)
        i = i + 1
        val = argv[i]
        if val == nil then return usage_error("--" .. name .. " needs a value", kind_name) end
      end
      local key = name:gsub("-", "_")
      if key == "format" then
        if val ~= "text" and val ~= "json" then return usage_error("--format must be text or json", kind_name) end
        format = val
      elseif not kind.opts[key] then
        return usage_error(string.format("unknown option --%s for probe %s", name, kind_name), kind_name)
      else
        raw[key] = val
      end
    elseif target == nil then
      target = a
      targets[1] = a
    elseif #targets < (kind.max_targets or 1) then
      targets[#targets + 1] = a
    else
      return usage_error(kind.max_targets
        and string.format("at most %d targets for probe %s", kind.max_targets, kind_name)
        or string.format("unexpected argument '%s'", a), kind_name)
    end
    i = i + 1
  end
  if kind.no_target then
    if target ~= nil then return usage_error(string.format("unexpected argument '%s'", target), kind_name) end
  elseif target == nil then
    return usage_error("probe " .. kind_name .. " needs a target (name or address)", kind_name)
  else
    -- before anything else: a malformed target (1.2.3, 999.1.1.1) or one no probe may go
    -- to (0.0.0.0, 224.0.0.1, fe80::1) is refused unresolved and unsent
    for _, t in ipairs(targets) do
      local ok, why = params.check_host(t)
      if not ok then
        host.write_stderr("nrb: " .. why .. "; nothing sent\n")
        return 1
      end
    end
  end
  local values, errs = params.resolve(kind.opts, raw)
  if not values then
    for _, e in ipairs(errs) do host.write_stderr("nrb: " .. e:gsub("parameter '([%w_]+)'", function(n) return "--" .. n:gsub("_", "-") end) .. "; nothing sent\n") end
    return 1
  end
  local ev, err, code, order = kind.run(target, values, #targets > 1 and targets or nil)
  if not ev then
    host.write_stderr("nrb: " .. tostring(err) .. "\n")
    return code or (err and err:find("does not resolve") and 1 or 3)
  end
  if format == "json" then
    host.write_stdout(json.encode(ev, { pretty = true }) .. "\n")
  else
    host.write_stdout(kind.text(ev, order))
  end
  return 0
end

return M
