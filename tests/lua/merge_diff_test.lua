-- Tests of nrb merge / nrb diff on reports built here (shaped like real ones), and of
-- report-file checking on bad files.
local json = require "nrb.core.json"
local merge = require "nrb.merge"
local diff = require "nrb.diff"
local reportfile = require "nrb.reportfile"

local SRV = "203.0.113.10"

local function eq(got, want, what)
  if got ~= want then error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)), 2) end
end
local function has(list, pattern, what)
  if type(list) == "string" then list = { list } end
  for _, s in ipairs(list or {}) do if s:find(pattern) then return end end
  error(string.format("%s: nothing matches '%s' in {%s}", what, pattern, table.concat(list or {}, " | ")), 2)
end

local function report(o)
  return {
    schema = "nrb.report/1", tool = { name = "nrb", version = "0.1.0" },
    runbook = { name = o.runbook or "standard", source = "runbooks/standard.yaml" },
    target = { host = o.host or SRV, address = o.address or SRV, proto = "tcp", port = o.port or 443 },
    vantage = { hostname = o.hostname or "client1", addresses = o.addresses or { "192.0.2.2" }, label = o.label },
    params = o.params or { target = SRV, port = o.port or 443 },
    started = o.started or "2026-11-22T03:00:00.000Z", finished = o.finished or "2026-11-22T03:00:09.000Z",
    steps = o.steps or {},
    verdict = o.verdict,
    suggestions = {},
    _file = o.file or "r.json",
  }
end

local T = {}

function T.epoch_is_utc_and_exact()
  eq(reportfile.epoch("1970-01-01T00:00:00.000Z"), 0, "epoch zero")
  eq(reportfile.epoch("2000-03-01T00:00:00Z"), 951868800, "after a leap day")
  eq(reportfile.epoch("2026-11-22T03:24:05.999Z") - reportfile.epoch("2026-11-22T03:23:05.000Z"), 60, "a minute")
  eq(reportfile.epoch("yesterday"), nil, "garbage")
end

function T.bad_report_files_are_named()
  local load = function(args) return reportfile.parse(args[2], args[1]) end
  local function file(name, text) return { name, text } end
  local full = json.encode(report({ verdict = { class = "OK" } }))
  local _, e1 = load(file("trunc", full:sub(1, #full // 2)))
  has(e1, "not valid JSON .*truncated", "truncated file")
  local _, e2 = load(file("schema", (full:gsub("nrb.report/1", "nrb.report/9"))))
  has(e2, "schema 'nrb.report/9' is not nrb.report/1", "other schema")
  local _, e3 = load(file("empty", ""))
  has(e3, "empty file", "empty file")
  local _, e4 = load(file("noverdict", json.encode({ schema = "nrb.report/1", steps = {}, target = {},
    started = "x", finished = "y", runbook = { name = "x" } })))
  has(e4, "no verdict.class", "missing field")
  local _, e5 = reportfile.load("/nonexistent/missing.json")
  has(e5, "No such file", "missing file")
  has(e1, "^trunc: ", "names the file")
  local ok = load(file("ok", full))
  eq(ok.verdict.class, "OK", "a good report loads")
end

function T.merge_refuses_different_targets()
  local a = report({ file = "a.json", verdict = { class = "OK" } })
  local b = report({ file = "b.json", port = 80, verdict = { class = "OK" } })
  local m, err = merge.combine({ a, b })
  eq(m, nil, "no merge")
  has(err, "different targets, not one incident", "message")
  has(err, "b.json: 203.0.113.10 tcp/80", "names the file and its target")
end

function T.merge_path_specific()
  local a = report({ file = "sh.json", label = "Shanghai CT", addresses = { "192.0.2.2" },
    verdict = { class = "PATH_FIREWALL", hop = 2, address = "198.51.100.2", confidence = "high", summary = "dropped at hop 2", reasons = {} } })
  local b = report({ file = "bj.json", label = "Beijing CU", hostname = "client2", addresses = { "198.51.100.77" },
    verdict = { class = "OK", confidence = "high", summary = "fine", reasons = {} } })
  local m = assert(merge.combine({ a, b }))
  eq(m.verdict.class, "PATH_FIREWALL", "class")
  eq(m.verdict.hop, 2, "hop")
  eq(m.verdict.path_specific, true, "path specific")
  has(m.verdict.reasons, "reproduces from Shanghai CT but not from Beijing CU", "reasons")
  local md = merge.markdown(m)
  has(md, "| Shanghai CT | client | 192.0.2.2 | `PATH_FIREWALL` | high | hop 2 %(198.51.100.2%) |", "vantage table")
  has(md, "## Affected source addresses\n\n%- Shanghai CT: 192.0.2.2\n\n", "affected sources: only the failing one")
  -- without path evidence in the working report nothing is said about where it goes
  for _, r in ipairs(m.verdict.reasons) do
    if r:find("not on the path", 1, true) or r:find("on the path from", 1, true) then error("unexpected: " .. r) end
  end
end

-- The device blamed (hop 2, 198.51.100.2) is or is not on the working vantage's traces.
local function traces_step(addrs)
  local hops = {}
  for i, a in ipairs(addrs) do hops[i] = { ttl = i, addresses = { a }, sent = 2, received = 2 } end
  return { id = "traces", uses = "traces", status = "ok", evidence = { icmp = { hops = hops, reached = true } } }
end

function T.merge_path_specific_device_off_the_working_path()
  local a = report({ file = "a.json", label = "A", verdict = { class = "PATH_FIREWALL", hop = 2, address = "198.51.100.2",
    confidence = "high", summary = "x", reasons = {} }, steps = { traces_step({ "192.0.2.1", "198.51.100.2", "198.51.100.6", SRV }) } })
  local b = report({ file = "b.json", label = "B", hostname = "client2", addresses = { "198.51.100.130" },
    verdict = { class = "OK", confidence = "high", summary = "fine", reasons = {} },
    steps = { traces_step({ "198.51.100.129", SRV }) } })
  local m = assert(merge.combine({ a, b }))
  eq(m.verdict.confidence, "high", "confidence")
  has(m.verdict.reasons, "198%.51%.100%.2 %(hop 2%) is not on the path from B: they go around it", "around")
  -- the same device on B's path too: it filters by source; said, and less sure
  b.steps = { traces_step({ "192.0.2.1", "198.51.100.2", "198.51.100.6", SRV }) }
  m = assert(merge.combine({ a, b }))
  eq(m.verdict.class, "PATH_FIREWALL", "class")
  eq(m.verdict.confidence, "medium", "confidence lowered")
  has(m.verdict.reasons, "198%.51%.100%.2 %(hop 2%) is on the path from B too, which works", "through")
end

function T.merge_server_firewall_confirmed_by_server()
  local c = report({ file = "c.json", label = "client", verdict = { class = "SERVER_FIREWALL", hop = 4, address = SRV,
    confidence = "medium", summary = "silent at the destination", reasons = {} } })
  local s = report({ file = "s.json", runbook = "server-side", label = "server", hostname = "srv", addresses = { SRV },
    params = { peer = "192.0.2.2", port = 443 },
    verdict = { class = "SERVER_FIREWALL", confidence = "high", summary = "SYN dropped by rule", reasons = {},
                server_view = { syn_seen = 3, answered = "none", listening = true, fw_decision = "drop",
                                fw_rule = "-A INPUT -p tcp --dport 443 -j DROP" } } })
  local m = assert(merge.combine({ c, s }))
  eq(m.verdict.class, "SERVER_FIREWALL", "class")
  eq(m.verdict.confidence, "high", "confidence raised by the server's view")
  has(m.verdict.reasons, "3 SYN%(s%) from the client arrived, nothing left in reply; the firewall decision for the client.s flow is drop by %-A INPUT", "reasons")
end

function T.merge_last_router_filter_separated()
  -- the client alone says SERVER_FIREWALL (destination silent); the server saw nothing
  local c = report({ file = "c.json", verdict = { class = "SERVER_FIREWALL", hop = 4, address = SRV,
    confidence = "medium", summary = "silent at the destination", reasons = {} } })
  local s = report({ file = "s.json", runbook = "server-side", hostname = "srv", addresses = { SRV },
    params = { peer = "192.0.2.2", port = 443 },
    verdict = { class = "OK", confidence = "high", summary = "nothing arrived", reasons = {},
                server_view = { syn_seen = 0, answered = "none", listening = true, fw_decision = "accept" } } })
  local m = assert(merge.combine({ c, s }))
  eq(m.verdict.class, "PATH_FIREWALL", "class")
  eq(m.verdict.hop, 3, "hop: the last router")
  eq(m.verdict.confidence, "high", "confidence")
end

-- The lab's last_router_filter, as both_ends.sh runs it: the client's traces step (tcp to
-- 443 answered up to hop 3 = r3 198.51.100.6, then silent; icmp reached the server at hop
-- 4) gives SERVER_FIREWALL at hop 4, medium; the server's 20 s capture started 1 s before
-- the client and saw none of its SYNs.  Merged: PATH_FIREWALL at hop 3 (the last hop the
-- port trace saw), the device r3's address, high.
local CLIENT_TRACES = { id = "traces", title = "Traces", status = "ok", evidence = {
  icmp = { reached = true, reached_ttl = 4, last_ttl = 4, last_address = SRV },
  udp = { reached = true, reached_ttl = 4, last_ttl = 4, last_address = SRV },
  tcp = { reached = false, last_ttl = 3, last_address = "198.51.100.6", stop = "silent" } } }
local function both(view, client_verdict, client_times)
  local c = report({ file = "client.json", label = "client", steps = { { id = "resolve", evidence = { status = "ok" } }, CLIENT_TRACES },
    started = client_times and client_times[1] or "2026-11-22T03:00:01.000Z",
    finished = client_times and client_times[2] or "2026-11-22T03:00:08.000Z",
    verdict = client_verdict or { class = "SERVER_FIREWALL", hop = 4, address = SRV, confidence = "medium",
                                  summary = "silent at the destination", reasons = {} } })
  view.capture_started = view.capture_started or "2026-11-22T03:00:00.100Z"
  view.capture_stopped = view.capture_stopped or "2026-11-22T03:00:20.112Z"
  view.capture_s, view.interface = view.capture_s or 20, "eth0"
  local s = report({ file = "server.json", runbook = "server-side", label = "server", hostname = "srv", addresses = { SRV },
    params = { peer = "192.0.2.2", port = 443 }, started = "2026-11-22T03:00:00.000Z", finished = "2026-11-22T03:00:20.200Z",
    verdict = { class = "OK", confidence = "medium", summary = "x", reasons = {}, server_view = view } })
  return assert(merge.combine({ c, s }))
end

function T.merge_last_router_from_the_clients_trace()
  local m = both({ syn_seen = 0, answered = "none", listening = true, fw_decision = "accept" })
  eq(m.verdict.class, "PATH_FIREWALL", "class")
  eq(m.verdict.hop, 3, "hop: the last hop the client's port trace saw")
  eq(m.verdict.address, "198.51.100.6", "address: r3")
  eq(m.verdict.confidence, "high", "confidence")
  has(m.verdict.summary, "stop before the server: a filter on the last router before it %(hop 3, 198.51.100.6%)", "summary")
  has(m.verdict.reasons, "server: no SYN from the client reached the server on eth0 during its 20 s capture", "server's view")
  has(m.verdict.reasons, "answered up to hop 3 %(198.51.100.6%) and silent after it", "client's trace")
end

-- server_drop with a capture: SYNs seen, nothing out, firewall drop -> SERVER_FIREWALL high
-- at the client's hop 4.
function T.merge_server_drop_with_capture()
  local m = both({ syn_seen = 5, answered = "none", listening = true, fw_decision = "drop", fw_rule = "handle 2" })
  eq(m.verdict.class, "SERVER_FIREWALL", "class")
  eq(m.verdict.hop, 4, "hop")
  eq(m.verdict.confidence, "high", "confidence")
  has(m.verdict.reasons, "5 SYN%(s%) from the client arrived on eth0, nothing left in reply; the firewall decision for the client.s flow is drop by handle 2", "reason")
end

-- SYNs seen, nothing answered, the firewall as read accepts: the server still.
function T.merge_syns_unanswered()
  local m = both({ syn_seen = 2, answered = "none", listening = true, fw_decision = "accept" })
  eq(m.verdict.class, "SERVER_FIREWALL", "class")
  eq(m.verdict.confidence, "high", "confidence")
  has(m.verdict.reasons, "2 SYN%(s%) from the client arrived on eth0 and nothing left in reply", "reason")
end

-- A filter earlier in the path (path_filter, hop 2): the server's empty capture confirms.
function T.merge_path_filter_confirmed()
  local m = both({ syn_seen = 0, answered = "none", listening = true, fw_decision = "accept" },
    { class = "PATH_FIREWALL", hop = 2, address = "198.51.100.2", confidence = "medium", summary = "x", reasons = {} })
  eq(m.verdict.class, "PATH_FIREWALL", "class")
  eq(m.verdict.hop, 2, "hop unchanged")
  eq(m.verdict.confidence, "high", "confidence")
  has(m.verdict.reasons, "confirms the client's verdict", "reason")
end

-- The client ran 40 minutes after the server's capture: the empty capture proves nothing.
function T.merge_capture_window_missed_the_client()
  local m = both({ syn_seen = 0, answered = "none", listening = true, fw_decision = "accept" }, nil,
    { "2026-11-22T03:40:01.000Z", "2026-11-22T03:40:08.000Z" })
  eq(m.verdict.class, "SERVER_FIREWALL", "class: the client's, unsettled")
  eq(m.verdict.confidence, "medium", "confidence unchanged")
  has(m.verdict.reasons, "did not run while client ran", "said")
end

-- Without a capture (no syn_seen) and the firewall accepting: the client's verdict stands.
function T.merge_server_without_capture()
  local m = both({ listening = true, fw_decision = "accept" })
  eq(m.verdict.class, "SERVER_FIREWALL", "class")
  eq(m.verdict.confidence, "medium", "confidence")
end

function T.merge_service_down_from_server()
  local c = report({ verdict = { class = "SERVER_FIREWALL", hop = 4, confidence = "medium", summary = "x", reasons = {} } })
  local s = report({ runbook = "server-side", addresses = { SRV }, params = { port = 443 },
    verdict = { class = "SERVICE_DOWN", confidence = "high", summary = "x", reasons = {},
                server_view = { syn_seen = 2, answered = "rst", listening = false } } })
  local m = assert(merge.combine({ c, s }))
  eq(m.verdict.class, "SERVICE_DOWN", "class")
end

function T.merge_server_for_another_port_is_refused()
  local c = report({ verdict = { class = "OK" } })
  local s = report({ file = "s.json", runbook = "server-side", addresses = { SRV }, params = { port = 80 },
    verdict = { class = "OK", server_view = {} } })
  local m, err = merge.combine({ c, s })
  eq(m, nil, "refused")
  has(err, "s.json is a server%-side report for port 80", "message")
end

function T.merge_notes_clock_skew()
  local a = report({ label = "a", verdict = { class = "ROUTING", hop = 2, confidence = "high", summary = "x", reasons = {} } })
  local b = report({ label = "b", started = "2026-11-22T09:00:00.000Z",
    verdict = { class = "ROUTING", hop = 2, confidence = "high", summary = "x", reasons = {} } })
  local m = assert(merge.combine({ a, b }))
  has(m.notes, "taken up to 360 minutes apart", "note")
  eq(m.verdict.confidence, "medium", "lowered")
end

function T.diff_shows_the_fix()
  local trace_before = { proto = "tcp", port = 443, reached = false, last_ttl = 2, last_address = "198.51.100.2" }
  local trace_after = { proto = "tcp", port = 443, reached = true, reached_ttl = 4 }
  local b = report({ file = "before.json", verdict = { class = "PATH_FIREWALL", hop = 2, confidence = "high", summary = "dropped at hop 2" },
    steps = {
      { id = "ping", title = "Ping", uses = "ping", status = "ok", evidence = { loss_pct = 0, rtt_avg_ms = 10.0 } },
      { id = "trace_tcp", title = "TCP trace", uses = "trace", status = "failed", evidence = trace_before },
      { id = "port", title = "Port 443", uses = "tcp_connect", status = "failed", evidence = { status = "timeout", sent = 3, connected = 0 } },
    } })
  local a = report({ file = "after.json", started = "2026-11-22T05:00:00.000Z",
    verdict = { class = "OK", confidence = "high", summary = "fine" },
    steps = {
      { id = "ping", title = "Ping", uses = "ping", status = "ok", evidence = { loss_pct = 0, rtt_avg_ms = 10.4 } },
      { id = "trace_tcp", title = "TCP trace", uses = "trace", status = "ok", evidence = trace_after },
      { id = "port", title = "Port 443", uses = "tcp_connect", status = "ok", evidence = { status = "connected", sent = 3, connected = 3, rtt_avg_ms = 10.2 } },
    } })
  local d = assert(diff.compare(b, a))
  eq(d.fixed, true, "fixed")
  local md = diff.markdown(d)
  has(md, "%*%*Fixed:%*%* the fault no longer reproduces %(`PATH_FIREWALL` at hop 2 %(high%) → `OK` %(high%)%)", "headline")
  has(md, "| TCP trace | path | stops after hop 2 %(198.51.100.2%) | reaches the target at hop 4 |", "trace change")
  has(md, "| Port 443 | result | timeout | connected |", "port change")
  has(md, "| Port 443 | connected | 0/3 | 3/3 |", "connected count")
  has(md, "%- Ping: average RTT 10.4 ms", "small RTT change is not a change")
  local _, err = diff.compare(b, report({ port = 80, verdict = { class = "OK" } }))
  has(err, "different targets", "different targets refused")
end

function T.diff_mtr_per_hop_loss()
  local mk = function(l3) return { hops = { { ttl = 1, loss_pct = 0 }, { ttl = 2, loss_pct = 0 }, { ttl = 3, address = "198.51.100.6", loss_pct = l3 } } } end
  local b = report({ verdict = { class = "ROUTING", hop = 3 }, steps = { { id = "mtr", title = "Per-hop", uses = "mtr", status = "failed", evidence = mk(30) } } })
  local a = report({ verdict = { class = "OK" }, steps = { { id = "mtr", title = "Per-hop", uses = "mtr", status = "ok", evidence = mk(0) } } })
  local md = diff.markdown(assert(diff.compare(b, a)))
  has(md, "| Per%-hop | hop 3 loss %(198.51.100.6%) | 30%% | 0%% |", "per-hop loss")
end

-- The TCP rounds to the port: before, hops 1-2 only (a filter after hop 2); after, hops 3
-- and 4 answer too.  Hops missing from one run show "—"; the ICMP rounds are unchanged.
function T.diff_mtr_tcp_rounds()
  local icmp = { { ttl = 1, loss_pct = 0 }, { ttl = 2, loss_pct = 0 } }
  local tcp_b = { port = 443, hops = { { ttl = 1, loss_pct = 0 }, { ttl = 2, loss_pct = 0 } } }
  local tcp_a = { port = 443, hops = { { ttl = 1, loss_pct = 0 }, { ttl = 2, loss_pct = 0 },
    { ttl = 3, address = "198.51.100.6", loss_pct = 0 }, { ttl = 4, address = "203.0.113.10", loss_pct = 0 } } }
  local b = report({ verdict = { class = "PATH_FIREWALL", hop = 2 }, steps = { { id = "mtr", title = "Per-hop", uses = "mtr", status = "ok", evidence = { hops = icmp, tcp = tcp_b } } } })
  local a = report({ verdict = { class = "OK" }, steps = { { id = "mtr", title = "Per-hop", uses = "mtr", status = "ok", evidence = { hops = icmp, tcp = tcp_a } } } })
  local md = diff.markdown(assert(diff.compare(b, a)))
  has(md, "| Per%-hop | TCP/443 hop 3 loss %(198.51.100.6%) | — | 0%% |", "tcp hop 3 appears")
  has(md, "| Per%-hop | TCP/443 hop 4 loss %(203.0.113.10%) | — | 0%% |", "tcp hop 4 appears")
  has(md, "%- Per%-hop: per%-hop loss unchanged", "icmp rounds unchanged")
end

return T
