-- nrb diff on the standard runbook's combined `traces` step ({icmp, udp, tcp} in one
-- evidence table): each protocol's trace is compared on its own, so a fix shows as the TCP
-- trace now reaching the target while the ICMP and UDP traces stay the same.  Evidence
-- shaped like the lab's path_filter scenario before and after the filter on r2 is removed.
local diff = require "nrb.diff"

local SRV = "203.0.113.10"

local function eq(got, want, what)
  if got ~= want then error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)), 2) end
end
local function has(list, pattern, what)
  if type(list) == "string" then list = { list } end
  for _, s in ipairs(list or {}) do if s:find(pattern) then return end end
  error(string.format("%s: nothing matches '%s' in {%s}", what, pattern, table.concat(list or {}, " | ")), 2)
end

local function reached(proto) return { proto = proto, reached = true, reached_ttl = 4, last_ttl = 4, last_address = SRV } end

local function report(verdict, tcp, started)
  return {
    schema = "nrb.report/1", tool = { name = "nrb", version = "0.1.0" },
    runbook = { name = "standard", source = "runbooks/standard.yaml" },
    target = { host = SRV, address = SRV, proto = "tcp", port = 443 },
    vantage = { hostname = "lab", addresses = { "192.0.2.2" }, label = "lab client" },
    started = started, finished = started,
    steps = { { id = "traces", title = "Traces", uses = "traces", status = tcp.reached and "ok" or "failed",
      evidence = { host = SRV, icmp = reached("icmp"), udp = reached("udp"), tcp = tcp } } },
    verdict = verdict, suggestions = {}, _file = started,
  }
end

local T = {}

function T.traces_step_compares_each_protocol()
  local b = report({ class = "PATH_FIREWALL", hop = 2, confidence = "high" },
    { proto = "tcp", reached = false, last_ttl = 2, last_address = "198.51.100.2", stop = "silence" },
    "2026-11-22T03:00:00.000Z")
  local a = report({ class = "OK", confidence = "high" }, reached("tcp"), "2026-11-22T03:10:00.000Z")
  local d = assert(diff.compare(b, a))
  eq(d.fixed, true, "fixed")
  local md = diff.markdown(d)
  has(md, "| Traces | TCP path | stops after hop 2 %(198.51.100.2%) | reaches the target at hop 4 |", "TCP trace change")
  has(d.same, "^Traces: ICMP path reaches the target at hop 4$", "ICMP trace unchanged")
  has(d.same, "^Traces: UDP path reaches the target at hop 4$", "UDP trace unchanged")
  for _, c in ipairs(d.changes) do
    if c.what == "ICMP path" or c.what == "UDP path" then error("unchanged trace listed as a change: " .. c.what) end
  end
end

function T.traces_step_missing_protocol_is_no_answer()
  -- a runbook that ran only some of the traces: the missing one is "—", not an error
  local b = report({ class = "OK" }, reached("tcp"), "2026-11-22T03:00:00.000Z")
  local a = report({ class = "OK" }, reached("tcp"), "2026-11-22T03:10:00.000Z")
  a.steps[1].evidence.udp = nil
  local d = assert(diff.compare(b, a))
  has(diff.markdown(d), "| Traces | UDP path | reaches the target at hop 4 | — |", "UDP trace gone")
end

return T
