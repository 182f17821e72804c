-- nrb.fw: this host's firewall, read-only, for runbooks.
--
--   fw.ruleset()                 -> {tables, chains, rules, managers, warnings} | nil, msg
--   fw.evaluate{proto=, src=, dst=, sport=, dport=, direction=, iif=, oif=, state=, family=}
--                                -> {decision, assumed, reject_with, manager, advice, path, notes}
--                                   | nil, msg
--   fw.snapshot()                -> snapshot (counters now) | nil, msg;  snap:diff(later)
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

-- The rule that decided: the last step of the path that is a rule (or the policy).
local function deciding(res)
  local last = res.path and res.path[#res.path]
  if not last then return nil end
  return { ref = last.ref, text = last.text, table = last.table, chain = last.chain,
           line = last.line, handle = last.handle, kind = last.kind, comment = last.comment }
end

-- Would this host let a new connection to host:port out, and its answers back in?
function M.check_flow(o)
  local family = o.dst:find(":", 1, true) and 6 or 4
  local proto = o.proto or "tcp"
  local out, oerr = core.evaluate{ direction = "output", state = "new", proto = proto, family = family,
    src = o.src, dst = o.dst, dport = o.port, oif = o.oif }
  if not out then
    return { decision = "uncertain", direction = "output", notes = json.array({ "cannot read the firewall: " .. tostring(oerr) }),
             error = oerr }
  end
  local back = core.evaluate{ direction = "input", state = "established", proto = proto, family = family,
    src = o.dst, dst = o.src, sport = o.port, iif = o.oif }
  local ev = { output = out, input = back }
  local worst, wdir = out, "output"
  if back and (RANK[back.decision] or 0) > (RANK[out.decision] or 0) then worst, wdir = back, "input" end
  ev.decision = worst.decision
  ev.direction = wdir
  ev.rule = deciding(worst)
  ev.path = worst.path
  ev.manager = worst.manager
  ev.advice = worst.advice
  ev.reject_with = worst.reject_with
  local notes = json.array()
  for _, n in ipairs(out.notes or {}) do notes[#notes + 1] = "output: " .. n end
  for _, n in ipairs(back and back.notes or {}) do notes[#notes + 1] = "input (replies): " .. n end
  ev.notes = notes
  return ev
end

-- Would this host let a new connection from a peer in to its port, and its answers out?
-- (the server-side question; same evidence shape as check_flow)
function M.check_inbound(o)
  local family = o.src:find(":", 1, true) and 6 or 4
  local proto = o.proto or "tcp"
  local inn, ierr = core.evaluate{ direction = "input", state = "new", proto = proto, family = family,
    src = o.src, dst = o.dst, dport = o.port, iif = o.iif }
  if not inn then
    return { decision = "uncertain", direction = "input", notes = json.array({ "cannot read the firewall: " .. tostring(ierr) }),
             error = ierr }
  end
  local back = core.evaluate{ direction = "output", state = "established", proto = proto, family = family,
    src = o.dst, dst = o.src, sport = o.port, oif = o.iif }
  local ev = { input = inn, output = back }
  local worst, wdir = inn, "input"
  if back and (RANK[back.decision] or 0) > (RANK[inn.decision] or 0) then worst, wdir = back, "output" end
  ev.decision, ev.direction, ev.rule, ev.path = worst.decision, wdir, deciding(worst), worst.path
  ev.manager, ev.advice, ev.reject_with = worst.manager, worst.advice, worst.reject_with
  local notes = json.array()
  for _, n in ipairs(inn.notes or {}) do notes[#notes + 1] = "input: " .. n end
  for _, n in ipairs(back and back.notes or {}) do notes[#notes + 1] = "output (replies): " .. n end
  ev.notes = notes
  return ev
end

return M
