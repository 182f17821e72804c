-- `nrb probe` (lua/nrb/probecli.lua): targets refused before anything runs, exit codes,
-- and the text a person reads.  No probe runs here: each kind's run function is replaced
-- by one that records the call, so even a check that failed to refuse would send nothing.
local probecli = require "nrb.probecli"
local host = require "nrb.core.host"
local probe = require "nrb.probe"

local function eq(got, want, what)
  if got ~= want then error(string.format("%s:\n got: %s\nwant: %s", what, tostring(got), tostring(want)), 2) end
end

-- Run `nrb probe ARGS...` with the kind's run replaced and stderr captured: exit status,
-- stderr text, and whether run was called.
local function main(args, run)
  local kind = probecli.kinds[args[1]]
  local real_run, real_err, real_out = kind.run, host.write_stderr, host.write_stdout
  local called, err, out = false, {}, {}
  kind.run = function(...)
    called = true
    if run then return run(...) end
    return nil, "run must not be called", 99
  end
  host.write_stderr = function(s) err[#err + 1] = s end
  host.write_stdout = function(s) out[#out + 1] = s end
  local ok, rc = pcall(probecli.main, { argv = args })
  kind.run, host.write_stderr, host.write_stdout = real_run, real_err, real_out
  if not ok then error(rc, 2) end
  return rc, table.concat(err), called, table.concat(out)
end

local T = {}

function T.bad_targets_refused_before_run()
  local cases = {
    { { "ping", "1.2.3" }, "nrb: '1.2.3' is not a valid IPv4 address" },
    { { "ping", "1.2" }, "is not a valid IPv4 address" },
    { { "trace", "0x7f.1" }, "is not a valid IPv4 address" },
    { { "mtr", "017.0.0.1" }, "is not a valid IPv4 address" },
    { { "ping", "1.2.3.4." }, "is not a valid IPv4 address" },
    { { "tcp", "999.1.1.1", "--port", "80" }, "is not a valid IPv4 address" },
    { { "ping", "0.0.0.0" }, "nrb: 0.0.0.0 is the unspecified address, not a host" },
    { { "ping", "::" }, "unspecified" },
    { { "ping", "224.0.0.1" }, "multicast" },
    { { "udp", "ff02::1", "--port", "53" }, "multicast" },
    { { "ping", "255.255.255.255" }, "broadcast" },
    { { "ping", "fe80::1" }, "nrb: fe80::1 is an IPv6 link-local address (fe80::/10)" },
    { { "route", "fe80::1" }, "link-local" },
    { { "resolve", "1.2.3" }, "is not a valid IPv4 address" },
    { { "tcp_syn", "-x", "--port", "80" }, "'-x' is not a host name or IP address" },
  }
  for _, c in ipairs(cases) do
    local rc, err, called = main(c[1])
    local what = table.concat(c[1], " ")
    eq(rc, 1, what .. ": exit")
    assert(not called, what .. ": the probe ran")
    assert(err:find(c[2], 1, true), what .. ": " .. err)
    assert(err:find("; nothing sent\n$"), what .. ": says nothing was sent: " .. err)
  end
  -- a good target does reach run
  local rc, _, called = main({ "ping", "192.0.2.1" }, function() return nil, "stub", 3 end)
  assert(called and rc == 3, "a documentation address reaches run")
end

-- tcp: a name that does not resolve exits 1 like every other kind, with its reason.
function T.tcp_unresolved_exit_1()
  local real = probe.tcping
  probe.tcping = function(o)
    return { host = o.host, port = o.port, status = "unresolved", error = "Name or service not known",
             sent = 0, connected = 0, attempts = {} }
  end
  local ok, ev, err, code = pcall(probecli.kinds.tcp.run, "nowhere.invalid", { port = 80, count = 1, timeout_ms = 10 })
  probe.tcping = real
  assert(ok, tostring(ev))
  eq(ev, nil, "no evidence")
  eq(code, 1, "exit status")
  eq(err, "nowhere.invalid does not resolve: Name or service not known; nothing sent", "message")
end

function T.route_text()
  local t = probecli.kinds.route.text
  eq(t({ status = "no_route", address = "192.0.2.1", error = "Network is unreachable" }),
    "route to 192.0.2.1: none (Network is unreachable)\n", "no route")
  eq(t({ status = "no_route", address = "192.0.2.1", type = "none", error = "Network is unreachable" }),
    "route to 192.0.2.1: none (Network is unreachable)\n", "type none")
  eq(t({ status = "no_route", address = "192.0.2.1", type = "blackhole", error = "Invalid argument" }),
    "route to 192.0.2.1: blackhole, not usable (Invalid argument)\n", "blackhole")
end

-- A probe's error is printed, never hidden behind a line of zeros.
function T.errors_printed()
  local ping = probecli.kinds.ping.text({ address = "192.0.2.1", status = "error", sent = 0, received = 0,
    loss_pct = 0, errors = {}, error = "Message too long" })
  assert(ping:find("\nerror: Message too long\n", 1, true), ping)
  local ok = probecli.kinds.ping.text({ address = "192.0.2.1", status = "ok", sent = 1, received = 1,
    loss_pct = 0, errors = {} })
  assert(not ok:find("error"), "no error line without an error: " .. ok)
  local tr = probecli.kinds.trace.text({ proto = "icmp", address = "192.0.2.1", stop = "silence", hops = {},
    error = "Operation not permitted" })
  assert(tr:find("\nerror: Operation not permitted\n", 1, true), tr)
  local syn = probecli.kinds.tcp_syn.text({ address = "192.0.2.1", port = 443, status = "error",
    error = "Operation not permitted" })
  eq(syn, "tcp_syn 192.0.2.1 port 443: error\nerror: Operation not permitted\n", "tcp_syn")
  local pm = probecli.kinds.pmtu.text({ address = "192.0.2.1", status = "no_reply", local_mtu = 1500, rounds = 1,
    probes = {}, send_errors = 2, send_error = "Message too long" })
  assert(pm:find("error: 2 probe(s) could not be sent (Message too long)", 1, true), pm)
end

function T.mtr_table_shows_loss_class()
  local text = probecli.kinds.mtr.text({ address = "192.0.2.1", proto = "icmp", rounds = 10, hops = {
    { ttl = 1, address = "192.0.2.254", loss_pct = 0, loss = "none", sent = 10, received = 10, avg_ms = 1 },
    { ttl = 2, address = "198.51.100.2", loss_pct = 40, loss = "local", sent = 10, received = 6, avg_ms = 2 },
    { ttl = 3, address = "192.0.2.1", loss_pct = 0, loss = "none", sent = 10, received = 10, avg_ms = 3 } } })
  assert(text:find("Loss% Loss       Snt", 1, true), text)
  assert(text:find("  2. 198.51.100.2%s+40.0%% local%s+10 "), text)
  assert(text:find("\nLoss: local = this hop's own", 1, true), text)
end

return T
