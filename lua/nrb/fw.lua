-- nrb.fw: this host's firewall, read-only, for runbooks.
--
--   fw.ruleset()                 -> {tables, chains, rules, managers, warnings} | nil, msg
--   fw.evaluate{proto=, src=, dst=, sport=, dport=, direction=, iif=, oif=, state=, family=}
--                                -> {decision, assumed, reject_with, manager, advice, path, notes}
--                                   | nil, msg
--   fw.snapshot()                -> snapshot (counters now) | nil, msg;  snap:diff(later)
--   fw.check_flow{host=, port=, proto=, src=, oif=}
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

return M
