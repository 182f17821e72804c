-- Per-hop loss (lua/nrb/loss.lua): is a hop's loss its own (a router limiting its ICMP)
-- or does it carry on to the destination?  Hop tables worked out by hand; the verdict
-- rules must read the same hops the same way.
local loss = require "nrb.loss"
local rules = require "nrb.rules.standard"

local function hop(ttl, sent, received, address)
  return { ttl = ttl, address = received > 0 and (address or ("198.51.100." .. ttl)) or nil, sent = sent,
           received = received, loss_pct = sent > 0 and 100 * (sent - received) / sent or 0 }
end

local function classes(hops)
  local c = loss.classify(hops)
  local out = {}
  for i = 1, #hops do out[i] = c[i] or "-" end
  return table.concat(out, " ")
end

local function eq(got, want, what)
  if got ~= want then error(string.format("%s: got '%s', want '%s'", what, tostring(got), tostring(want)), 2) end
end

local T = {}

function T.rate_limited_hop_is_local()
  -- hop 2 answers 6 of 10, the hops after it all 10: its routers limit ICMP
  eq(classes{ hop(1, 10, 10), hop(2, 10, 6), hop(3, 10, 10), hop(4, 10, 10) }, "none local none none", "limited hop 2")
  -- a hop that never answers while later ones do: its own silence
  eq(classes{ hop(1, 10, 10), hop(2, 10, 0), hop(3, 10, 10) }, "none local none", "silent hop 2")
  -- loss at hop 2, half of it at the destination: not "clearly less", it carries on
  eq(classes{ hop(1, 10, 10), hop(2, 10, 6), hop(3, 10, 8) }, "none persists persists", "hop 2 then 20% to the end")
end

function T.loss_from_a_hop_persists()
  -- the lab's lossy link: loss from hop 3 to the destination
  local hops = { hop(1, 20, 20), hop(2, 20, 20), hop(3, 20, 14), hop(4, 20, 13), hop(5, 20, 12) }
  eq(classes(hops), "none none persists persists persists", "lossy link from hop 3")
  local from = rules.persistent_loss({ hops = hops })
  eq(from and from.ttl, 3, "the rules put the start at the first 'persists'")
  -- a hop that loses more than the destination starts the destination's loss: persists
  -- (rate limiting on top of a lossy link), though a later hop loses less than half
  hops = { hop(1, 20, 20), hop(2, 20, 10), hop(3, 20, 18), hop(4, 20, 18) }
  assert(loss.later_hop_better(hops, 2), "a later hop loses less than half of hop 2's loss")
  eq(classes(hops), "none persists persists persists", "run precedence")
  eq(rules.persistent_loss({ hops = hops }).ttl, 2, "rules agree")
  -- loss at 3 of 20 while the destination loses 8 of 20: chance (Fisher), the run goes on
  hops = { hop(1, 20, 20), hop(2, 20, 17), hop(3, 20, 12) }
  eq(classes(hops), "none persists persists", "lower loss that could be chance")
end

function T.silence_to_the_end_persists()
  -- the destination and the hops before it are silent: nothing past hop 2 answers
  eq(classes{ hop(1, 10, 10), hop(2, 10, 10), hop(3, 10, 0), hop(4, 10, 0) }, "none none persists persists", "silent tail")
  -- under the destination threshold the loss is small, but nothing after it loses less
  eq(classes{ hop(1, 50, 50), hop(2, 50, 49), hop(3, 50, 49) }, "none persists persists", "small loss")
  eq(rules.persistent_loss({ hops = { hop(1, 50, 50), hop(2, 50, 49), hop(3, 50, 49) } }), nil,
    "the verdict needs 5% at the destination")
end

function T.not_probed_and_empty()
  eq(classes{ hop(1, 0, 0), hop(2, 10, 10) }, "- none", "a hop never probed has no loss class")
  eq(#loss.classify({}), 0, "no hops")
  eq(#loss.classify(nil), 0, "nil hops")
end

-- The verdict's notes come from the same reading: a hop noted as limiting its ICMP is
-- labelled local in the evidence.
function T.rules_notes_match_labels()
  local hops = { hop(1, 10, 10, "192.0.2.1"), hop(2, 10, 5, "198.51.100.2"), hop(3, 10, 10, "203.0.113.10") }
  local ev = { target = { host = "203.0.113.10", address = "203.0.113.10", proto = "tcp", port = 443 },
    tcp = { status = "connected", sent = 3, connected = 3, address = "203.0.113.10", port = 443 },
    mtr = loss.annotate({ hops = hops }) }
  eq(hops[2].loss, "local", "evidence label")
  local v = rules.decide(ev)
  eq(v.class, "OK", "verdict")
  local noted = false
  for _, r in ipairs(v.reasons) do if r:find("198.51.100.2", 1, true) then noted = true end end
  assert(noted, "the verdict notes hop 2's loss as local: " .. table.concat(v.reasons, " | "))
end

-- probe.mtr labels every hop, for one protocol and for several (the binding is replaced
-- by a fake here: no probe is sent).
function T.probe_mtr_annotates()
  local core = require "nrb.core.probe"
  local probe = require "nrb.probe"
  local real = core.mtr
  core.mtr = function(o)
    local one = function() return { proto = "icmp", hops = { hop(1, 10, 10), hop(2, 10, 3), hop(3, 10, 10) } } end
    if o.protos then return { icmp = one(), tcp = one() } end
    return one()
  end
  local ok, err = pcall(function()
    local ev = probe.mtr{ address = "192.0.2.1" }
    eq(ev.hops[2].loss, "local", "single")
    eq(ev.hops[1].loss, "none", "single hop 1")
    local m = probe.mtr{ address = "192.0.2.1", protos = { "icmp", "tcp" }, port = 443 }
    eq(m.icmp.hops[2].loss, "local", "multi icmp")
    eq(m.tcp.hops[3].loss, "none", "multi tcp")
  end)
  core.mtr = real
  if not ok then error(err, 0) end
  local ev = loss.annotate({ hops = { hop(1, 4, 4) }, tcp = { hops = { hop(1, 4, 0), hop(2, 4, 4) } } })
  eq(ev.tcp.hops[1].loss, "local", "annotate reaches the step's TCP rounds")
end

return T
