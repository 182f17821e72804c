-- Tests of nrb.rules.server (the server-side runbook's judgement) and of its view merged
-- with a client's report.
local rules = require "nrb.rules.server"
local merge = require "nrb.merge"

local function eq(got, want, what)
  if got ~= want then error(string.format("%s: got %s, want %s", what, tostring(got), tostring(want)), 2) end
end
local function has(list, pattern, what)
  for _, s in ipairs(list or {}) do if s:find(pattern) then return end end
  error(string.format("%s: nothing matches '%s' in {%s}", what, pattern, table.concat(list or {}, " | ")), 2)
end

local PEER, SRV = "192.0.2.2", "203.0.113.10"

local function ctx(listening, fw)
  return { params = { peer = PEER, port = 443, proto = "tcp" }, records = {
    { id = "listening", uses = "listening", status = listening.status == "listening" and "ok" or "failed", evidence = listening },
    { id = "firewall", uses = "fw", status = "ok", evidence = fw },
    { id = "reverse", uses = "traces", status = "ok", evidence = { icmp = { reached = true, reached_ttl = 4 } } },
  } }
end

local LISTEN = { status = "listening", sockets = { { address = "0.0.0.0" } } }
local ACCEPT = { decision = "accept", direction = "input" }

local T = {}

function T.nothing_listens()
  local v = rules.verdict(ctx({ status = "none", sockets = {} }, ACCEPT))
  eq(v.class, "SERVICE_DOWN", "class")
  eq(v.confidence, "high", "confidence")
  eq(v.server_view.listening, false, "server_view.listening")
end

function T.firewall_drops_the_client()
  local v = rules.verdict(ctx(LISTEN, { decision = "drop", direction = "input",
    rule = { ref = "table inet filter chain input handle 7" }, manager = "firewalld" }))
  eq(v.class, "SERVER_FIREWALL", "class")
  eq(v.server_view.fw_decision, "drop", "server_view.fw_decision")
  eq(v.server_view.fw_rule, "table inet filter chain input handle 7", "server_view.fw_rule")
  has(v.reasons, "would drop tcp/443 from 192.0.2.2 %(input%): table inet filter chain input handle 7", "reason")
  has(v.reasons, "belongs to firewalld", "manager")
end

function T.nothing_here_stops_it()
  local v = rules.verdict(ctx(LISTEN, ACCEPT))
  eq(v.class, "OK", "class")
  eq(v.confidence, "medium", "confidence: without a capture it cannot say packets arrived")
  has(v.reasons, "the reverse path to 192.0.2.2: reached at hop 4", "reverse path")
  has(v.reasons, "without a capture", "caveat")
end

function T.merged_with_the_client_the_rule_is_named()
  local server = rules.verdict(ctx(LISTEN, { decision = "drop", direction = "input", rule = { ref = "-A INPUT -p tcp --dport 443 -j DROP" } }))
  local function rep(name, v, vantage, params)
    return { schema = "nrb.report/1", runbook = { name = name }, target = { host = SRV, address = SRV, proto = "tcp", port = 443 },
             vantage = vantage, params = params, started = "2026-11-22T03:00:00.000Z", finished = "2026-11-22T03:00:09.000Z",
             steps = {}, verdict = v, _file = name .. ".json" }
  end
  local client = rep("standard", { class = "SERVER_FIREWALL", hop = 4, address = SRV, confidence = "medium", summary = "silent at the destination", reasons = {} },
    { hostname = "client", addresses = { PEER } }, { target = SRV, port = 443 })
  local srv = rep("server-side", server, { hostname = "server", addresses = { SRV } }, { peer = PEER, port = 443 })
  local m = assert(merge.combine({ client, srv }))
  eq(m.verdict.class, "SERVER_FIREWALL", "class")
  eq(m.verdict.confidence, "high", "confidence")
  eq(m.verdict.hop, 4, "hop")
  has(m.verdict.reasons, "the firewall decision for the client's flow is drop by %-A INPUT", "reason")
end

return T
