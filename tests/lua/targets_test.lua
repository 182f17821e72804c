-- Targets that must be refused before anything is resolved or sent, and the messages of
-- the probe bindings for caller mistakes.  Nothing here reaches the network: each call
-- below is refused by a check that runs before any socket is opened (the option readers
-- and the destination check in core/lua/l_probe.c come before new_sess(); nrb_resolve
-- refuses a malformed host before getaddrinfo; probe.address and tcping check the target
-- before resolving it).  Where a name must resolve, the resolver is replaced by a fake
-- that answers without asking anyone.
local core = require "nrb.core.probe"
local probe = require "nrb.probe"
local steps = require "nrb.steps"

local function raises(fn, opts, pattern, what)
  local ok, err = pcall(fn, opts)
  if ok then error(what .. ": no error", 2) end
  if not tostring(err):find(pattern, 1, true) then
    error(string.format("%s: error '%s' does not contain '%s'", what, tostring(err), pattern), 2)
  end
end

-- fn(opts) must return nil and a message containing text (the input's problem, no raise).
local function refused(fn, opts, text, what)
  local ok, ev, msg = pcall(fn, opts)
  if not ok then error(string.format("%s: raised '%s'", what, tostring(ev)), 2) end
  if ev ~= nil then error(what .. ": returned evidence, expected nil, message", 2) end
  if not tostring(msg):find(text, 1, true) then
    error(string.format("%s: message '%s' does not contain '%s'", what, tostring(msg), text), 2)
  end
end

-- Run fn with the resolver answering `answer` for every name: both entry points the
-- library uses (nrb.core.probe's resolve, which probe.address and tcping call, and
-- nrb.probe's, which the resolve step calls) are replaced, so no name reaches a real
-- resolver.  fn gets the list of names asked.
local function with_fake_resolver(answer, fn)
  local real_core, real_probe = core.resolve, probe.resolve
  local asked = {}
  local function fake(o)
    asked[#asked + 1] = o.host
    return { status = "ok", host = o.host, addresses = { answer }, families = { "ipv4" }, literal = false }
  end
  core.resolve, probe.resolve = fake, fake
  assert(core.resolve == fake and probe.resolve == fake, "the fake resolver is in place")
  local ok, err = pcall(fn, asked)
  core.resolve, probe.resolve = real_core, real_probe
  if not ok then error(err, 0) end
end

local T = {}

function T.check_target()
  local cases = {
    { "192.0.2.1", "address" }, { "2001:db8::1", "address" }, { "server.example", "name" },
    { "169.254.169.254", "address" },
    { "1.2.3", nil, "'1.2.3' is not a valid IPv4 address" },
    { "0x7f.1", nil, "not a valid IPv4 address" },
    { "999.1.1.1", nil, "not a valid IPv4 address" },
    { "0.0.0.0", nil, "unspecified" }, { "224.0.0.1", nil, "multicast" },
    { "255.255.255.255", nil, "broadcast" }, { "fe80::1", nil, "link-local" }, { "::", nil, "unspecified" },
  }
  for _, c in ipairs(cases) do
    local kind, msg = probe.check_target(c[1])
    if kind ~= c[2] or (c[3] and not tostring(msg):find(c[3], 1, true)) then
      error(string.format("check_target(%s) = %s, %s", c[1], tostring(kind), tostring(msg)))
    end
  end
end

-- Every asynchronous probe refuses such a destination with nil, message: before the
-- session (no socket) is made.
function T.bad_destinations_are_nil_message()
  local bad = { ["0.0.0.0"] = "unspecified", ["::"] = "unspecified", ["224.0.0.1"] = "multicast",
                ["ff02::1"] = "multicast", ["255.255.255.255"] = "broadcast", ["fe80::1"] = "link-local",
                ["::ffff:192.0.2.1"] = "IPv4-mapped" }
  for a, why in pairs(bad) do
    refused(probe.ping, { address = a, count = 1 }, why, "ping " .. a)
    refused(probe.trace, { address = a, proto = "udp" }, why, "trace " .. a)
    refused(probe.trace, { address = a, protos = { "icmp", "tcp" }, port = 443 }, why, "traces " .. a)
    refused(probe.mtr, { address = a, rounds = 1 }, why, "mtr " .. a)
    refused(probe.tcp_syn, { address = a, port = 443 }, why, "tcp_syn " .. a)
    refused(probe.udp, { address = a, port = 53 }, why, "udp " .. a)
    refused(probe.pmtu, { address = a }, why, "pmtu " .. a)
    refused(probe.tcp_connect, { address = a, port = 443 }, why, "tcp_connect " .. a)
    local _, msg = probe.ping{ address = a }
    assert(msg:find("; nothing sent$"), "the message says nothing was sent: " .. msg)
  end
end

function T.caller_mistakes_name_the_option()
  local a = "192.0.2.1"
  raises(probe.trace, { address = a, proto = "udp", port = 70000 }, "bad option 'port' (must be 1..65535, got 70000)", "port 70000")
  raises(probe.trace, { address = a, proto = "udp", port = 0 }, "bad option 'port' (must be 1..65535, got 0)", "port 0")
  raises(probe.trace, { address = a, proto = "sctp" }, "bad option 'proto': 'sctp' is not one of icmp, udp, tcp", "proto sctp")
  raises(probe.trace, { address = a, proto = 6 }, "bad option 'proto' (one of icmp, udp, tcp expected, got number)", "proto 6")
  raises(probe.pmtu, { address = a, proto = "sctp" }, "bad option 'proto': 'sctp' is not one of", "pmtu proto")
  raises(probe.trace, { address = a, protos = { "icmp", "sctp" } }, "bad option 'protos': 'sctp' is not one of icmp, udp, tcp", "protos sctp")
  raises(probe.trace, { address = a, protos = "icmp" }, "bad option 'protos' (a list of icmp, udp and/or tcp expected, got string)", "protos text")
  raises(probe.mtr, { address = a, protos = { "icmp", "udp", "tcp", "icmp" }, port = 443 },
    "bad option 'protos' (at most three distinct protocols: icmp, udp, tcp)", "four protos")
  raises(probe.trace, { address = a, protos = { "icmp", "udp", "tcp", "udp" }, port = 443 }, "at most three", "four protos, trace")
  raises(probe.ping, {}, "bad option 'address' (a numeric IPv4 or IPv6 address expected, got nil)", "no address")
  raises(probe.ping, { address = "1.2.3" }, "bad option 'address' ('1.2.3' is not a numeric IPv4 or IPv6 address)", "address 1.2.3")
  raises(probe.ping, { address = "server.example" }, "is not a numeric IPv4 or IPv6 address", "address name")
  raises(probe.tcp_connect, { address = "127.0.0.1" }, "bad option 'port' (an integer 1..65535 is required)", "tcp_connect no port")
  raises(probe.tcp_connect, { address = "127.0.0.1", port = 0 }, "bad option 'port' (must be 1..65535, got 0)", "tcp_connect port 0")
  raises(probe.tcp_connect, { port = 80 }, "bad option 'address' (a numeric IPv4 or IPv6 address expected, got nil)", "tcp_connect no address")
  raises(probe.tcp_connect, { address = "127.0.0.1", port = 80, timeout_ms = 0 }, "bad option 'timeout_ms' (must be 1..600000, got 0)", "timeout 0")
  raises(probe.tcp_connect, { address = "127.0.0.1", port = 80, send = {} }, "bad option 'send' (text expected, got table)", "send table")
  raises(probe.tcping, { host = "127.0.0.1" }, "tcping: port must be an integer 1..65535", "tcping no port")
  raises(probe.tcping, { port = 80 }, "tcping: host (a name or address) is required", "tcping no host")
  raises(probe.resolve, { host = "1.2.3" }, "bad option 'host' ('1.2.3' is not a valid IPv4 address", "resolve 1.2.3")
  raises(probe.resolve, { host = "999.1.1.1" }, "not a valid IPv4 address", "resolve 999.1.1.1")
  raises(probe.resolve, { host = "192.0.2.1", family = "ipv5" }, "bad option 'family': 'ipv5' is not one of any, ipv4, ipv6", "family")
  raises(probe.resolve, {}, "bad option 'host' (a host name or address expected, got nil)", "resolve no host")
  raises(probe.route, {}, "bad option 'address' (a numeric IPv4 or IPv6 address expected, got nil)", "route no address")
  raises(probe.route, { address = "1.2.3" }, "bad option 'address' (route: '1.2.3' is not a numeric IPv4 or IPv6 address)", "route 1.2.3")
  raises(probe.listening, {}, "bad option 'port' (an integer 1..65535 is required)", "listening no port")
  raises(probe.listening, { port = 80, proto = "sctp" }, "bad option 'proto': 'sctp' is not one of tcp, udp", "listening proto")
end

-- probe.address and tcping: a bad target, or a name whose first address is one, is
-- refused with the reason and nothing resolved or sent for it.
function T.address_and_tcping_refuse()
  local a, err = probe.address("1.2.3")
  assert(a == nil and err:find("not a valid IPv4 address", 1, true), "probe.address 1.2.3: " .. tostring(err))
  a, err = probe.address("fe80::1")
  assert(a == nil and err:find("link-local", 1, true), "probe.address fe80::1")
  local ev = probe.tcping{ host = "0.0.0.0", port = 80, count = 1 }
  assert(ev.status == "error" and ev.sent == 0 and ev.connected == 0 and #ev.attempts == 0, "tcping 0.0.0.0")
  assert(ev.error:find("unspecified address", 1, true) and ev.error:find("nothing sent", 1, true), ev.error)
  ev = probe.tcping{ host = "1.2.3", port = 80 }
  assert(ev.status == "error" and ev.sent == 0 and ev.error:find("not a valid IPv4", 1, true), "tcping 1.2.3")
  with_fake_resolver("0.0.0.0", function(asked)
    local x, e = probe.address("sinkhole.example")
    assert(x == nil and e == "sinkhole.example resolves to 0.0.0.0, which cannot be probed: "
      .. "0.0.0.0 is the unspecified address, not a host", "address of a sinkhole: " .. tostring(e))
    local t = probe.tcping{ host = "sinkhole.example", port = 80 }
    assert(t.status == "error" and t.sent == 0 and t.error:find("resolves to 0.0.0.0", 1, true), "tcping sinkhole")
    assert(#asked == 2 and asked[1] == "sinkhole.example", "the fake was asked")
  end)
  with_fake_resolver("224.0.0.9", function()
    local x, e = probe.address("group.example")
    assert(x == nil and e:find("224.0.0.9 is a multicast address", 1, true), "multicast answer: " .. tostring(e))
  end)
end

-- A runbook's resolve step: a name whose first address cannot be probed fails the step
-- (the steps after it do not run; the verdict is DNS_FAILURE).
function T.resolve_step_refuses_unusable_answer()
  with_fake_resolver("0.0.0.0", function(asked)
    local ev, st, f = steps.kinds.resolve.run(nil, { host = "sinkhole.example", family = "any" })
    assert(asked[1] == "sinkhole.example", "the fake was asked")
    assert(st == "failed" and ev.status == "failed", "step failed")
    assert(ev.error == "its first address 0.0.0.0 cannot be probed: 0.0.0.0 is the unspecified address, not a host", ev.error)
    assert(f[1].severity == "error" and f[1].text:find("^sinkhole.example: its first address"), f[1].text)
    local v = require("nrb.rules.standard").decide{ target = { host = "sinkhole.example", proto = "tcp", port = 443 },
      resolve = ev }
    assert(v.class == "DNS_FAILURE", "verdict " .. v.class)
  end)
  with_fake_resolver("192.0.2.1", function()
    local ev, st = steps.kinds.resolve.run(nil, { host = "good.example", family = "any" })
    assert(st == "ok" and ev.status == "ok", "a usable answer passes")
  end)
end

-- The tcp_connect step: a host that cannot be a target fails, with its reason.
function T.tcp_connect_step_nothing_sent()
  local ev, st, f = steps.kinds.tcp_connect.run(nil, { host = "0.0.0.0", port = 443, count = 1, timeout_ms = 10 })
  assert(st == "failed" and ev.sent == 0, "step failed")
  assert(f[1].severity == "error" and f[1].text:find("unspecified", 1, true), "finding: " .. tostring(f[1] and f[1].text))
end

return T
