-- nrb.probe: the probes, for runbooks.  Each takes an option table and returns an
-- evidence table (never prints).  Caller mistakes (unknown option, port 0) raise;
-- a probe that ran and saw nothing returns evidence saying so.
--
--   probe.resolve{host = "server.example", family = "any"}
--   probe.tcp_connect{address = "203.0.113.10", port = 443, timeout_ms = 2000}
--   probe.tcping{host = "203.0.113.10", port = 443, count = 3, timeout_ms = 2000}
--   probe.route{address = "203.0.113.10"}   -- the kernel's route (ip route get)
local core = require "nrb.core.probe"
local json = require "nrb.core.json"
local loss = require "nrb.loss"

local M = {}

M.resolve = core.resolve
M.tcp_connect = core.tcp_connect
M.route = core.route
-- probe.check_target(text) -> "name"|"address", or nil, message: whether text may be a
-- probe's target at all (a DNS name, or an address a probe can go to; `1.2.3`, 0.0.0.0,
-- 224.0.0.1, fe80::1 cannot).  Nothing is resolved or sent.
M.check_target = core.check_target

-- The asynchronous probes (numeric `address`; evidence as doc/evidence.md says; nil,
-- message when the environment fails, e.g. no route for the family).
--   probe.ping{address, count, interval_ms, size_bytes, df, ttl, timeout_ms}
--   probe.trace{address, proto, port, max_ttl, queries, timeout_ms, window}
--     (window: a trace's probes in flight at once, 1..640, default 32)
--   probe.trace{address, protos = {"icmp", "udp", "tcp"}, port = 443}  -- at once
--   probe.trace{addresses = {a, b}, ...}  -- up to 8 targets at once, keyed by address
--   probe.mtr{address, proto, port, rounds, interval_ms, max_ttl}
--   probe.tcp_syn{address, port, timeout_ms}   probe.udp{address, port, timeout_ms}
--   probe.pmtu{address, proto, min_size, max_size}
-- All take pps (global packets-per-second cap, default 100), burst (packets the cap
-- lets out back to back, 1..1000, default 48) and unprivileged.
M.ping = core.ping
M.trace = core.trace
-- mtr evidence gets each hop's `loss`: none, local (a later hop answers with clearly
-- less loss) or persists (nrb.loss.classify, the verdict rules' reading).
function M.mtr(o)
  local ev, err = core.mtr(o)
  if not ev then return nil, err end
  if ev.hops then
    loss.annotate(ev)
  else
    for _, p in pairs(ev) do loss.annotate(p) end
  end
  return ev
end
M.tcp_syn = core.tcp_syn
M.udp = core.udp
M.pmtu = core.pmtu
-- probe.listening{port, proto = "tcp"|"udp"}: is anything listening on this host's port
-- (ss -ltn over sock_diag)?  -> {status = "listening"|"none", sockets = {...}}
M.listening = core.listening

-- Resolve a host (name or literal) to its first address: address or nil, message.  A
-- host that cannot be a target, or a name whose first address cannot (a sinkhole's
-- 0.0.0.0, a multicast address), is refused with the reason: nothing is sent to it.
-- The host's first address a probe may go to; or nil, "refused" or "unresolved", and
-- the reason.
local function target_address(host, family)
  local ok, why = core.check_target(host)
  if not ok then return nil, "refused", why end
  local r = core.resolve{ host = host, family = family or "any" }
  if r.status ~= "ok" then return nil, "unresolved", r.error or "no address" end
  local a = r.addresses[1]
  ok, why = core.check_target(a)
  if not ok then
    return nil, "refused", string.format("%s resolves to %s, which cannot be probed: %s", host, a, why)
  end
  return a
end

function M.address(host, family)
  local a, kind, why = target_address(host, family)
  if not a and kind == "unresolved" then
    return nil, string.format("%s does not resolve: %s", host, why)
  end
  return a, why
end

-- tcping: `count` connection attempts (1..20) to a host (name or address) and port,
-- with a summary like tcping's: how many connected, rtt min/avg/max, and the status
-- most attempts ended with.
function M.tcping(o)
  if type(o) ~= "table" then error("tcping: expected an option table", 2) end
  for k in pairs(o) do
    if k ~= "host" and k ~= "port" and k ~= "count" and k ~= "timeout_ms" then
      error(string.format("tcping: unknown option '%s'", tostring(k)), 2)
    end
  end
  local count = o.count or 3
  if math.type(count) ~= "integer" or count < 1 or count > 20 then
    error("tcping: count must be an integer 1..20", 2)
  end
  if type(o.host) ~= "string" then error("tcping: host (a name or address) is required", 2) end
  if math.type(o.port) ~= "integer" or o.port < 1 or o.port > 65535 then
    error("tcping: port must be an integer 1..65535", 2)
  end
  -- sent and connected are counts even when nothing could be sent
  local ev = { host = o.host, port = o.port, attempts = json.array(), sent = 0, connected = 0 }
  local address, kind, why = target_address(o.host)
  if not address then
    if kind == "unresolved" then
      ev.status, ev.error = "unresolved", why
    else
      ev.status, ev.error = "error", why .. "; nothing sent"
    end
    return ev
  end
  ev.address = address
  local counts, rtts = {}, {}
  for i = 1, count do
    local a = core.tcp_connect{ address = address, port = o.port, timeout_ms = o.timeout_ms }
    ev.attempts[i] = { status = a.status, rtt_ms = a.rtt_ms, errno = a.errno, errno_name = a.errno_name,
                       error = a.error }
    counts[a.status] = (counts[a.status] or 0) + 1
    if a.status == "connected" then rtts[#rtts + 1] = a.rtt_ms end
    if a.status == "interrupted" then break end
  end
  local best, n = nil, -1
  for st, c in pairs(counts) do
    if c > n or (c == n and st < best) then best, n = st, c end
  end
  ev.status = best
  ev.sent = #ev.attempts
  ev.connected = counts.connected or 0
  if #rtts > 0 then
    local sum, mn, mx = 0, math.huge, 0
    for _, v in ipairs(rtts) do
      sum = sum + v
      mn = math.min(mn, v)
      mx = math.max(mx, v)
    end
    ev.rtt_min_ms, ev.rtt_avg_ms, ev.rtt_max_ms = mn, sum / #rtts, mx
  end
  return ev
end

return M
