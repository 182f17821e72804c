-- nrb.fw: this host's firewall, read-only, for runbooks.
--
--   fw.ruleset()                 -> {tables, chains, rules, managers, warnings, problems,
--                                    unread} | nil, msg
--   fw.evaluate{proto=, src=, dst=, sport=, dport=, direction=, iif=, oif=, state=, family=}
--                                -> {decision, assumed, reject_with, manager, advice, path,
--                                    deciding, notes, problems} | nil, msg
--   fw.snapshot()                -> snapshot (counters now) | nil, msg;  snap:diff(later),
--                                   snap:problems(), snap:close()
--   fw.deciding(result)          -> the path step that decided (a rule or a policy), or nil
--   fw.check_flow{dst=, port=, proto=, src=, oif=}      (this host connecting out)
--   fw.check_inbound{src=, dst=, port=, proto=, iif=}   (a peer connecting in)
--                                -> the `fw` step's evidence (doc/evidence.md)
-- Environment failures (no permission, no nft/iptables) return nil, message.
local core = require "nrb.core.fw"
local json = require "nrb.core.json"

local M = {}

M.ruleset = core.ruleset
M.evaluate = core.evaluate
M.snapshot = core.snapshot

local RANK = { accept = 0, uncertain = 1, reject = 2, drop = 3 }

-- The rule that decided: the deciding step of the path (a rule or a policy; steps after
-- it, and rules that only counted or logged, are "continue"/"notrack" steps).
local function deciding(res)
  local last = res.path and res.deciding and res.path[res.deciding]
  if not last then return nil end
  return { ref = last.ref, text = last.text, table = last.table, chain = last.chain,
           line = last.line, handle = last.handle, kind = last.kind, comment = last.comment,
           counted = last.counted }
end
M.deciding = deciding

-- Evaluate a new connection in direction `first` (output when this host connects out,
-- input when a peer connects in) and its replies the other way; the worse decision of the
-- two is the flow's.  local_addr/remote are this host's and the other end's addresses.
local function check_both_ways(first, o, local_addr, remote)
  local second = first == "output" and "input" or "output"
  local family = remote:find(":", 1, true) and 6 or 4
  local proto = o.proto or "tcp"
  local out_side = first == "output"
  local a, aerr = core.evaluate{ direction = first, state = "new", proto = proto, family = family,
    src = out_side and local_addr or remote, dst = out_side and remote or local_addr, dport = o.port,
    oif = out_side and o.dev or nil, iif = (not out_side) and o.dev or nil }
  if not a then
    return { decision = "uncertain", direction = first, error = aerr,
             notes = json.array({ "cannot read the firewall: " .. tostring(aerr) }) }
  end
  local b = core.evaluate{ direction = second, state = "established", proto = proto, family = family,
    src = out_side and remote or local_addr, dst = out_side and local_addr or remote, sport = o.port,
    iif = out_side and o.dev or nil, oif = (not out_side) and o.dev or nil }
  local ev = { [first] = a, [second] = b }
  local worst, wdir = a, first
  if b and (RANK[b.decision] or 0) > (RANK[a.decision] or 0) then worst, wdir = b, second end
  ev.decision, ev.direction, ev.rule, ev.path = worst.decision, wdir, deciding(worst), worst.path
  ev.manager, ev.advice, ev.reject_with = worst.manager, worst.advice, worst.reject_with
  if a.problems and #a.problems > 0 then ev.problems = a.problems end
  local notes = json.array()
  for _, n in ipairs(a.notes or {}) do notes[#notes + 1] = first .. ": " .. n end
  for _, n in ipairs(b and b.notes or {}) do notes[#notes + 1] = second .. " (replies): " .. n end
  ev.notes = notes
  return ev
end

-- Would this host let a new connection to dst:port out, and its answers back in?
function M.check_flow(o)
  return check_both_ways("output", { proto = o.proto, port = o.port, dev = o.oif }, o.src, o.dst)
end

-- Would this host let a new connection from a peer (src) in to its port, and its answers
-- out?  (the server-side question; same evidence shape as check_flow)
function M.check_inbound(o)
  return check_both_ways("input", { proto = o.proto, port = o.port, dev = o.iif }, o.dst, o.src)
end

return M
