-- Tests of live capture from Lua (nrb.capture over nrb.core.capture start/stop) and of the
-- capture step kinds' helpers: argument checking (raise), environment failures (nil,
-- message, errno), handle life cycle (double stop, done, <close>, garbage collection),
-- and the evidence the rules read.  Live parts capture on loopback with a filter that
-- matches nothing; without privilege they check the permission message instead.
local capture = require "nrb.capture"
local core = require "nrb.core.capture"
local host = require "nrb.core.host"
local rules = require "nrb.rules.standard"

local FIX = host.roots()[1] .. "/tests/fixtures/capture/"

local T = {}

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)), 2)
  end
end

local function raises(fn, pattern, what)
  local ok, err = pcall(fn)
  if ok then error(what .. ": did not raise", 2) end
  if not tostring(err):find(pattern) then
    error(string.format("%s: raised '%s', want '%s'", what, tostring(err), pattern), 2)
  end
end

-- Start a capture on loopback that matches nothing we send, or nil when we may not
-- capture (the message must say why).
local function lo_capture(o)
  o = o or {}
  o.interface = o.interface or "lo"
  o.filter = o.filter or "udp port 9 and host 127.0.0.77"
  local h, err, code = capture.start(o)
  if not h then
    assert(err:find("permission") or err:find("CAP_NET_RAW"), "unexpected failure: " .. tostring(err))
    eq(code, 1, "errno of a refused capture (EPERM)")
    return nil
  end
  return h
end

function T.option_checking()
  raises(function() capture.start{ colour = "red" } end, "unknown option 'colour'", "unknown key")
  raises(function() capture.start{ timeout = 5 } end, "unknown option 'timeout'", "unit-less key")
  raises(function() capture.start("eth0") end, "option table", "not a table")
  raises(function() capture.start{ host = 7 } end, "host must be a string", "host type")
  raises(function() core.start{ port = 0 } end, "port must be 1..65535", "port 0")
  raises(function() core.start{ port = "443" } end, "port must be an integer", "port type")
  raises(function() core.start{ duration_ms = 0 } end, "duration_ms must be 1..3600000", "duration 0")
  raises(function() core.start{ max_packets = 1.5 } end, "max_packets must be an integer", "max_packets float")
  raises(function() core.start{ max_bytes = -1 } end, "max_bytes must be", "max_bytes negative")
  raises(function() core.start{ address = "server.example" } end, "not a numeric", "address name")
  raises(function() core.start{ interface = "" } end, "interface must be", "empty interface")
  raises(function() core.start{ interface = string.rep("x", 16) } end, "interface must be", "long interface")
  raises(function() core.start{ file = "" } end, "file must not be empty", "empty file")
  raises(function() core.start{ filter = {} } end, "filter must be a string", "filter type")
  raises(function() core.start{ address = "192.0.2.1", nonsense = true } end, "unknown option 'nonsense'", "core unknown key")
end

function T.environment_failures()
  -- a name that does not resolve: nil, message (nothing opened)
  local h, err = capture.start{ host = "no-such-host.invalid" }
  eq(h, nil, "unresolvable host")
  assert(err:find("does not resolve"), err)
  -- an interface that does not exist: nil, message, errno (ENODEV 19, or EPERM 1
  -- without privilege: libpcap needs the socket before it can look the name up)
  local h2, err2, code = capture.start{ interface = "nrbnosuch0" }
  eq(h2, nil, "nonexistent interface")
  assert(code == 19 or code == 1, "errno " .. tostring(code))
  if code == 19 then assert(err2:find("no such interface"), err2) end
end

function T.bad_filter_raises()
  local probe_h = lo_capture()
  if not probe_h then return end
  probe_h:stop()
  raises(function() capture.start{ interface = "lo", filter = "tcp port banana" } end, "does not compile",
    "bad filter")
end

function T.lifecycle()
  local h = lo_capture()
  if not h then return end
  eq(getmetatable(h), "nrb.capture", "locked metatable")
  eq(h:done(), false, "running capture is not done")
  local info = h:info()
  eq(info.interface, "lo", "info.interface")
  eq(info.filter, "udp port 9 and host 127.0.0.77", "info.filter")
  assert(tostring(h):find("running on lo"), tostring(h))
  local r = assert(h:stop())
  eq(r.packets, 0, "packets")
  eq(r.stopped_by, "stop", "stopped_by")
  eq(r.interface, "lo", "interface")
  eq(r.file, nil, "no file asked for")
  eq(#r.connections, 0, "connections")
  eq(tostring(h), "nrb.capture (closed)", "tostring after stop")
  raises(function() h:stop() end, "already stopped", "double stop")
  raises(function() h:done() end, "already stopped", "done after stop")
  raises(function() h:info() end, "already stopped", "info after stop")
  raises(function() h.stop({}) end, "nrb.capture expected", "stop on a table")
end

function T.bounds_end_the_capture()
  local h = lo_capture{ duration_ms = 50 }
  if not h then return end
  local t0 = host.now_ms()
  while not h:done() and host.now_ms() - t0 < 3000 do end
  eq(h:done(), true, "done after duration_ms")
  local r = assert(h:stop())
  eq(r.stopped_by, "max_ms", "stopped_by")
end

-- (the same with files, and live vs offline, are in tests/unit/test_capture_lua.c,
-- which has a scratch directory to write them in)
function T.close_and_gc_discard()
  local keep
  do
    local h <close> = lo_capture()
    if not h then return end
    keep = h
  end
  raises(function() keep:stop() end, "already stopped", "stop after close")
  eq(tostring(keep), "nrb.capture (closed)", "closed by <close>")
  keep = nil
  -- handles nobody references: the collector joins their threads
  for _ = 1, 3 do lo_capture() end
  collectgarbage()
  collectgarbage()
  -- stop, then close (what a <close> variable does after stop): harmless
  do
    local h3 <close> = lo_capture()
    assert(h3:stop())
  end
end

-- The step kinds: a capture_stop with nothing to stop fails with a message; the runner's
-- end-of-run stop completes leftover captures and says so on the start step.
function T.step_kinds()
  local steps = require "nrb.steps"
  local ctx = { steps = { cap = { status = "failed", evidence = { error = "no permission" } } } }
  local ev, st, f = steps.kinds.capture_stop.run(ctx, { capture = "cap" })
  eq(st, "failed", "stop without a capture")
  eq(ev.status, "not_started", "status")
  assert(ev.error:find("did not start a capture %(no permission%)"), ev.error)
  eq(f[1].severity, "warn", "finding")
  ev = steps.kinds.capture_stop.run({}, { capture = "nope" })
  assert(ev.error:find("no step 'nope' started a capture"), ev.error)
  -- live (root): start, then the end-of-run stop
  ctx = { steps = {}, step_id = "cap" }
  ev, st = steps.kinds.capture_start.run(ctx, { interface = "lo", filter = "udp port 9 and host 127.0.0.77",
    duration_ms = 60000, max_packets = 10 })
  if st == "failed" then
    eq(ev.status, "not_started", "refused start")
    assert(ev.error:find("CAP_NET_RAW"), ev.error)
    return
  end
  eq(ev.status, "running", "start status")
  eq(ev.interface, "lo", "start interface")
  ctx.steps.cap = { evidence = ev }
  steps.stop_captures(ctx)
  eq(ev.stopped, "end_of_run", "stopped at the end of the run")
  eq(ev.stopped_by, "stop", "stopped_by")
  eq(next(ctx.captures), nil, "nothing left running")
end

function T.runbook_validation()
  local runbook = require "nrb.runbook"
  local function problems(stop_with)
    local _, errs = runbook.validate({ name = "x", summary = "x",
      steps = { { id = "cap", uses = "capture_start", with = { host = "192.0.2.1", colour = 1 } },
                { id = "ping", uses = "ping", with = { host = "192.0.2.1" } },
                { id = "stop", uses = "capture_stop", with = stop_with } },
      verdict = { { class = "OK", summary = "x" } } }, nil, "t.lua", "lua")
    return table.concat(errs or {}, "\n")
  end
  local e = problems({ capture = "ping" })
  assert(e:find("'capture_start' takes no argument 'colour'"), e)
  assert(e:find("'capture' must name an earlier capture_start step, not 'ping'"), e)
  e = problems({ capture = "cap" })
  assert(not e:find("must name"), e)
  e = problems({})
  assert(e:find("'capture_stop' needs argument 'capture'"), e)
end

-- The evidence the rules read, from a recorded forged reset.
function T.evidence_from_forged_rst_fixture()
  local r = assert(core.analyze_file(FIX .. "forged_rst.pcap"))
  r.file = "/tmp/x.pcap"
  local ev = capture.evidence(r)
  eq(ev.pcap, "/tmp/x.pcap", "pcap")
  eq(#ev.resets, 1, "resets")
  local x = ev.resets[1]
  eq(x.verdict, "injected", "verdict")
  eq(x.from, "198.51.100.2", "from")
  eq(x.port, 8083, "port")
  eq(x.ttl, 64, "ttl")
  eq(x.hops_away, 1, "hops_away")
  assert(#x.reasons >= 1, "reasons")
  eq(#capture.evidence(r, 443).resets, 0, "resets for another port")
  -- the rules judge the reset from the capture
  local v = rules.decide({ target = { host = "198.51.100.2", address = "198.51.100.2", proto = "tcp", port = 8083 },
    trace = {}, syn = { status = "rst", reply_ttl = 64, address = "198.51.100.2", port = 8083 }, capture = ev })
  eq(v.class, "FORGED_RST", "verdict class")
  eq(v.hop, 1, "verdict hop")
end

-- The ticket's Capture section names the .pcap and shows the analysis.
function T.ticket_capture_section()
  local report = require "nrb.report"
  local r = assert(core.analyze_file(FIX .. "forged_rst.pcap"))
  r.file, r.interface, r.filter, r.stopped_by = "/var/tmp/run.pcap", "eth0", "host 198.51.100.2", "stop"
  local ev = capture.evidence(r, 8083)
  ev.status = "ok"
  local rep = { schema = "nrb.report/1", tool = { name = "nrb", version = "0" }, runbook = { name = "t", source = "t.yaml" },
    target = { host = "198.51.100.2", proto = "tcp", port = 8083 }, vantage = { hostname = "h", addresses = {} },
    started = "s", finished = "f", steps = { { id = "cap", title = "Capture", uses = "capture_stop", status = "ok",
      duration_ms = 1, evidence = ev, findings = {} } },
    verdict = { class = "FORGED_RST", confidence = "high", summary = "x", reasons = {} }, suggestions = {} }
  for _, lang in ipairs({ "en", "zh" }) do
    local md = assert(report.markdown(rep, lang))
    assert(md:find("Capture file: `/var/tmp/run.pcap`", 1, true), lang .. ": no pcap path\n" .. md)
    assert(md:find("Taken on interface `eth0` with filter `host 198.51.100.2`", 1, true), lang)
    assert(md:find("| REJ (", 1, true), lang .. ": no connection row")
    assert(md:find(lang == "en" and "## Capture" or "## 抓包", 1, true), lang .. ": no heading")
  end
  -- a reset line names the reset's own direction: here the server (responder) sent it
  assert(report.markdown(rep, "en"):find("Reset 198.51.100.2:8083 → ", 1, true), "responder's reset")
  -- and when the client reset its own connection (the kernel's RST after a half-open SYN)
  local c1 = ev.connections[1]
  c1.reset_by, c1.reset = "orig", { origin = "genuine", confidence = "medium", reasons = { "RST TTL 64 ..." } }
  local md = report.markdown(rep, "en")
  assert(md:find("Reset " .. c1.orig.address .. ":" .. c1.orig.port .. " → 198.51.100.2:8083:", 1, true), "originator's reset\n" .. md)
  rep.steps[1].evidence = { status = "not_started", error = "priv: capture on eth0: permission denied" }
  assert(report.markdown(rep, "en"):find("No capture: priv: capture on eth0: permission denied", 1, true))
end

return T
