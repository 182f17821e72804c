-- Option checking of the probe bindings for the trace window and the bucket burst:
-- out-of-range values are caller mistakes and raise before any socket is opened or any
-- packet sent (these tests never reach the network: every call raises).
local probe = require "nrb.probe"
local steps = require "nrb.steps"

local function raises(fn, opts, pattern, what)
  local ok, err = pcall(fn, opts)
  if ok then error(what .. ": no error", 2) end
  if not tostring(err):find(pattern) then
    error(string.format("%s: error '%s' does not match '%s'", what, tostring(err), pattern), 2)
  end
end

local T = {}

function T.trace_window_range()
  local a = "192.0.2.1"
  raises(probe.trace, { address = a, window = 0 }, "bad option 'window' %(must be 1%.%.640, got 0%)", "window 0")
  raises(probe.trace, { address = a, window = 641 }, "bad option 'window' %(must be 1%.%.640, got 641%)", "window 641")
  raises(probe.trace, { address = a, window = 1.5 }, "bad option 'window' %(an integer expected%)", "window 1.5")
  raises(probe.trace, { address = a, protos = { "icmp", "udp" }, window = -3 }, "bad option 'window'", "protos, window -3")
  -- mtr sends one probe per hop per round: no window option
  raises(probe.mtr, { address = a, window = 16 }, "window", "mtr window")
end

function T.burst_range()
  local a = "192.0.2.1"
  raises(probe.trace, { address = a, burst = 0 }, "bad option 'burst' %(must be 1%.%.1000, got 0%)", "trace burst 0")
  raises(probe.ping, { address = a, burst = 1001 }, "bad option 'burst' %(must be 1%.%.1000, got 1001%)", "ping burst 1001")
  raises(probe.mtr, { address = a, burst = "48" }, "bad option 'burst' %(an integer expected%)", "mtr burst string")
end

-- The mtr pace options are checked before anything is sent (192.0.2.1 is never reached:
-- the errors come first).
function T.mtr_pace_options()
  local a = "192.0.2.1"
  raises(probe.mtr, { address = a, interval_ms = 500, slow_interval_ms = 500 },
    "slow_interval_ms' %(must be longer than interval_ms%)", "slow not longer")
  raises(probe.mtr, { address = a, slow_interval_ms = 60001 }, "bad option 'slow_interval_ms'", "slow too long")
  raises(probe.mtr, { address = a, protos = { "icmp", "icmp" } }, "protos lists 'icmp' twice", "protos twice")
  raises(probe.mtr, { address = a, protos = { "icmp", "tcp" } }, "a TCP probe needs a port", "tcp without port")
  raises(probe.mtr, { address = a, protos = {} }, "protos must list", "empty protos")
end

-- Several targets in one trace call: the list is checked before anything is sent.
function T.trace_addresses_option()
  local a, b = "192.0.2.1", "2001:db8::1"
  raises(probe.trace, { address = a, addresses = { b } }, "give 'address' or 'addresses', not both", "both")
  raises(probe.trace, { addresses = {} }, "bad option 'addresses' %(an empty list%)", "empty")
  raises(probe.trace, { addresses = a }, "a list of numeric addresses expected", "not a list")
  raises(probe.trace, { addresses = { a, 7 } }, "entry 2 is not a string", "number entry")
  raises(probe.trace, { addresses = { a, "1.2.3" } }, "'1.2.3' is not a numeric IPv4 or IPv6 address", "malformed")
  raises(probe.trace, { addresses = { a, b, "2001:db8:0::1" } }, "is given twice", "repeated, written otherwise")
  local nine = {}
  for i = 1, 9 do nine[i] = "192.0.2." .. i end
  raises(probe.trace, { addresses = nine }, "at most 8 targets", "nine targets")
  raises(probe.trace, { addresses = { a, b }, protos = { "icmp", "tcp" } }, "a TCP trace needs a port", "tcp without port")
  raises(probe.mtr, { addresses = { a } }, "unknown option 'addresses'", "mtr takes one target")
end

function T.step_args_declare_them()
  local t, ts = steps.kinds.trace.args, steps.kinds.traces.args
  assert(t.window and t.window.default == 32 and t.window.min == 1 and t.window.max == 640, "trace step window")
  assert(ts.window and ts.window.default == 32, "traces step window")
  assert(t.burst and t.burst.default == 48 and t.burst.max == 1000, "trace step burst")
  assert(steps.kinds.ping.args.burst, "ping step burst")
  assert(not steps.kinds.mtr.args.window, "mtr step has no window")
end

return T
