-- nrb.capture: live packet capture for runbooks, running in the background while other
-- probes run (a C thread reads a pcap handle; Lua is never called from it).
--
--   local cap, err = capture.start{host = "203.0.113.10", port = 443, interface = "eth0",
--                                  filter = "tcp port 443 or icmp", file = "run.pcap",
--                                  max_packets = 100000, max_bytes = 64 << 20,
--                                  duration_ms = 60000}
--   ... probes ...
--   local analysis = cap:stop()      -- or nil, message
--   cap:done()                       -- true once a bound (packets/bytes/time) ended it
--   cap:info()                       -- {interface, filter, file, address, port}
--
-- Every key is optional.  `host` (a name is resolved first) and `port` scope the analysis
-- and the default filter (the host's traffic on the port plus all ICMP, which carries
-- the errors about the flow); `interface` defaults to the one the kernel routes `host`
-- through, else "any"; `file` is written as FILE.tmp and renamed when stopped.  Unknown
-- keys and bad values raise; a filter libpcap cannot compile raises.  When the
-- environment refuses (no privilege: root or CAP_NET_RAW; no such interface; the file
-- cannot be created; the name does not resolve) start returns nil, message, errno.
--
-- stop() returns the offline analysis's table (nrb analyze; doc/evidence.md `capture`)
-- plus file (absolute path, nil without one), interface, filter, address, port,
-- packets and stopped_by ("stop", "max_packets", "max_bytes", "max_ms", "error").
-- A handle that is garbage-collected or leaves a `<close>` scope without stop() is
-- discarded cleanly: the thread is joined, the handle closed and the partial file
-- removed.  stop() or done() on a stopped handle raise.
--
--   capture.evidence(analysis, port) -> the `capture` evidence the rules read: the
--   analysis plus `pcap` (the file), `resets` and `large_packet_loss` (doc/evidence.md).
local core = require "nrb.core.capture"
local probe = require "nrb.probe"
local json = require "nrb.core.json"

local M = {}

local KEYS = { host = true, port = true, interface = true, filter = true, file = true,
               max_packets = true, max_bytes = true, duration_ms = true }

function M.start(o)
  if o == nil then o = {} end
  if type(o) ~= "table" then error("capture.start: expected an option table", 2) end
  for k in pairs(o) do
    if not KEYS[k] then error(string.format("capture.start: unknown option '%s'", tostring(k)), 2) end
  end
  if o.host ~= nil and type(o.host) ~= "string" then error("capture.start: host must be a string", 2) end
  local address
  if o.host then
    local err
    address, err = probe.address(o.host)
    if not address then return nil, err end
  end
  return core.start{ address = address, port = o.port, interface = o.interface, filter = o.filter,
                     file = o.file, max_packets = o.max_packets, max_bytes = o.max_bytes,
                     duration_ms = o.duration_ms }
end

-- The resets of the analysis, each judged: the shape nrb.rules.standard reads.
-- port: only connections to this port (nil: all).
local function resets(a, port)
  local out = json.array()
  for _, c in ipairs(a.connections or {}) do
    local p = c.reset
    -- resets in the responder's name only: the originator is this host
    if p and c.reset_by == "resp" and (port == nil or c.resp.port == port) then
      out[#out + 1] = {
        from = c.resp.address, port = c.resp.port,
        ttl = p.ttl, ipid = p.ip_id, hop = p.hop,
        verdict = p.origin == "injected" and "injected" or p.origin == "genuine" and "server" or "unknown",
        confidence = p.confidence,
        hops_away = p.origin == "injected" and p.hop or nil,
        reasons = json.array(p.reasons or {}),
      }
    end
  end
  return out
end

function M.evidence(a, port)
  local ev = {}
  for k, v in pairs(a) do ev[k] = v end
  ev.pcap = a.file
  ev.resets = resets(a, port)
  for _, f in ipairs(a.findings or {}) do
    if f.kind == "large_packet_loss" and (port == nil or f.port == nil or f.port == port) then
      ev.large_packet_loss = f.text
      break
    end
  end
  return ev
end

return M
