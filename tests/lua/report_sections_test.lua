-- Tests of the ticket's sections (lua/nrb/report/sections.lua) on a report shaped like
-- the lab's "silent TCP/443 filter at hop 2" scenario.  Expected text worked out by hand.
local sections = require "nrb.report.sections"
local report = require "nrb.report"

local R1, R2, R3, SRV = "192.0.2.1", "198.51.100.2", "198.51.100.6", "203.0.113.10"
local PATH = { R1, R2, R3, SRV }

local function eq(got, want, what)
  if got ~= want then error(string.format("%s:\n got: %s\nwant: %s", what, tostring(got), tostring(want)), 2) end
end
local function has(s, pattern, what)
  if not tostring(s):find(pattern) then error(string.format("%s: '%s' not in:\n%s", what, pattern, tostring(s)), 2) end
end

local function trace(proto, port, upto, reached, answer)
  local e = { proto = proto, port = port, address = SRV, hops = {}, reached = reached }
  for ttl = 1, upto do
    local a = PATH[ttl]
    e.hops[ttl] = { ttl = ttl, sent = 3, received = 3, addresses = { a },
      replies = { { address = a, rtt_ms = ttl * 1.25, kind = (ttl == upto and reached) and answer or "time_exceeded" } } }
  end
  if reached then e.reached_ttl = upto; e.dest_answer = answer else e.last_ttl = upto; e.last_address = PATH[upto]; e.stop = "silence" end
  return e
end

local function sample()
  return {
    schema = "nrb.report/1", tool = { name = "nrb", version = "0.1.0" },
    runbook = { name = "standard", source = "runbooks/standard.yaml" },
    target = { host = SRV, address = SRV, proto = "tcp", port = 443 },
    vantage = { hostname = "client", addresses = { "192.0.2.2" } },
    started = "2026-11-22T03:00:00.000Z", finished = "2026-11-22T03:00:09.000Z", interrupted = false,
    steps = {
      { id = "ping", title = "Ping", uses = "ping", status = "ok", duration_ms = 5,
        evidence = { address = SRV, sent = 5, received = 5, loss_pct = 0, rtt_min_ms = 4.5, rtt_avg_ms = 5, rtt_max_ms = 5.5, reply_ttl = 61 } },
      { id = "t_icmp", title = "ICMP trace", uses = "trace", status = "ok", duration_ms = 10, evidence = trace("icmp", nil, 4, true, "echo_reply") },
      { id = "t_tcp", title = "TCP trace", uses = "trace", status = "failed", duration_ms = 10, evidence = trace("tcp", 443, 2, false) },
      { id = "mtr", title = "Per-hop statistics", uses = "mtr", status = "ok", duration_ms = 10, evidence = {
        proto = "icmp", rounds = 10, hops = {
          { ttl = 1, address = R1, sent = 10, received = 10, loss_pct = 0, last_ms = 0.3, avg_ms = 0.31, best_ms = 0.2, worst_ms = 0.4, stdev_ms = 0.05 },
          { ttl = 2, address = R2, sent = 10, received = 6, loss_pct = 40, last_ms = 1.0, avg_ms = 1.1, best_ms = 0.9, worst_ms = 1.4, stdev_ms = 0.15 },
        } } },
      { id = "port", title = "TCP 443", uses = "tcp_connect", status = "failed", duration_ms = 6000,
        evidence = { address = SRV, port = 443, status = "timeout", sent = 3, connected = 0 } },
    },
    verdict = { class = "PATH_FIREWALL", hop = 2, address = R2, proto = "tcp", port = 443, confidence = "high",
                summary = "a device at hop 2 drops tcp/443", reasons = { "x" } },
    suggestions = {},
  }
end

local T = {}

function T.traces_side_by_side()
  local t = sections.traces(sample())
  eq(t, table.concat({
    "| TTL | ICMP | TCP/443 |",
    "|---|---|---|",
    "| 1 | 192.0.2.1 1.25 ms | 192.0.2.1 1.25 ms |",
    "| 2 | 198.51.100.2 2.5 ms | 198.51.100.2 2.5 ms |",
    "| 3 | 198.51.100.6 3.75 ms |  |",
    "| 4 | 203.0.113.10 5 ms (echo_reply) |  |",
    "| end | reached at hop 4 (echo_reply) | silent after hop 2 |",
  }, "\n"), "traces table")
end

function T.silent_tail_is_one_row()
  local r = sample()
  local t = r.steps[3].evidence
  for ttl = 3, 16 do t.hops[ttl] = { ttl = ttl, sent = 3, received = 0, addresses = {}, replies = {} } end
  local lines = {}
  for l in (sections.traces(r) .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = l end
  -- ICMP answers up to TTL 4, so rows run to 6: header, separator, 1..6, 7–16, end
  eq(#lines, 10, "line count")
  eq(lines[9], "| 7–16 |  | * (no answer) |", "the silent rest")
  eq(lines[8], "| 6 |  | * |", "two rows past the last answer")
end

function T.mtr_layout()
  local m = sections.mtr(sample())
  local lines = {}
  for l in (m .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = l end
  eq(lines[2], "HOST: client                       Loss%   Snt   Last   Avg  Best  Wrst StDev", "header")
  eq(lines[3], "  1.|-- 192.0.2.1                      0.0%    10    0.3   0.3   0.2   0.4   0.1", "hop 1")
  eq(lines[4], "  2.|-- 198.51.100.2                  40.0%    10    1.0   1.1   0.9   1.4   0.1", "hop 2")
end

function T.path_marks_the_break()
  local mermaid, plain = sections.path(sample())
  eq(plain, "here -> 192.0.2.1 -> [198.51.100.2 <- PATH_FIREWALL] -> 198.51.100.6 -x- 203.0.113.10", "plain path")
  has(mermaid, '\n  h2%["hop 2<br/>198.51.100.2"%]\n', "hop node")
  has(mermaid, '\n  h3 %-%. "PATH_FIREWALL" %.%-x dst\n', "broken edge to the target")
  has(mermaid, "\n  class h2 fault\n", "fault marked")
end

function T.probe_rows()
  local rows = sections.probes(sample())
  eq(rows[1].what, "ping 203.0.113.10", "ping row")
  eq(rows[1].result, "5/5 replies, 0% loss", "ping result")
  eq(rows[2].what, "TCP 203.0.113.10 port 443", "port row")
  eq(rows[2].result, "timeout (0/3 connected)", "port result")
end

-- Probes that could not run (unprivileged: no ICMP socket, no raw socket) show the
-- step's error, never a row of zeros or "port nil".
function T.failed_probe_rows()
  local r = sample()
  r.steps = {
    { id = "ping", uses = "ping", status = "failed", args = { host = SRV },
      evidence = { status = "error", host = SRV, address = SRV, error = "ICMP socket: Operation not permitted" } },
    { id = "syn", uses = "tcp_syn", status = "failed", args = { host = SRV, port = 443 },
      evidence = { status = "error", host = SRV, address = SRV, error = "no raw socket; nothing sent" } },
    { id = "udp", uses = "udp", status = "failed", args = { host = SRV },
      evidence = { status = "unresolved", host = "nowhere.example", error = "nowhere.example does not resolve" } },
    { id = "tcp", uses = "tcp_connect", status = "failed", args = { host = "0.0.0.0", port = 443 },
      evidence = { status = "error", host = "0.0.0.0", port = 443, sent = 0, connected = 0,
                   error = "0.0.0.0 is the unspecified address, not a host; nothing sent" } },
    { id = "ping2", uses = "ping", status = "failed", args = { host = SRV },
      evidence = { status = "error", address = SRV, sent = 0, received = 0, loss_pct = 0, error = "Message too long" } },
  }
  local rows = sections.probes(r)
  eq(rows[1].what, "ping " .. SRV, "ping label")
  eq(rows[1].result, "error: ICMP socket: Operation not permitted", "ping result")
  eq(rows[2].result, "error: Message too long", "ping that sent nothing")
  eq(rows[3].what, "TCP 0.0.0.0 port 443", "tcp label")
  eq(rows[3].result, "error: 0.0.0.0 is the unspecified address, not a host; nothing sent", "tcp result")
  eq(rows[4].what, "TCP " .. SRV .. " port 443 (SYN)", "syn label: the port from the step's arguments")
  eq(rows[4].result, "error: no raw socket; nothing sent", "syn result")
  eq(rows[5].what, "UDP nowhere.example", "udp label without a port")
  eq(rows[5].result, "unresolved: nowhere.example does not resolve", "udp result")
  for _, row in ipairs(rows) do
    assert(not (row.what .. row.result .. row.detail):find("nil"), "no nil: " .. row.what .. " | " .. row.result)
  end
end

function T.ticket_renders_sections_in_both_languages()
  local md = assert(report.markdown(sample(), "en"))
  has(md, "## Path\n\n```mermaid\nflowchart LR\n", "path section")
  has(md, "## Traces\n", "traces section")
  has(md, "## Per%-hop statistics %(`mtr %-r` layout%)\n\n```\nStart: ", "mtr section")
  has(md, "%(shown above under Traces%)", "trace evidence not repeated")
  assert(not md:find("hops%[1%]"), "no flattened hop rows")
  local zh = assert(report.markdown(sample(), "zh"))
  has(zh, "## 路由跟踪\n", "zh traces")
  has(zh, "（见上文“路由跟踪”）", "zh shown in")
end

return T
