-- nrb.loss: is a hop's loss its own, or does it carry on to the destination?  Per-hop
-- statistics (mtr evidence, doc/evidence.md) show loss at many hops that is nothing but a
-- router limiting the ICMP it sends (or sending none): the path through it is fine, as
-- the hops after it show.  Loss that starts at a hop and persists to the destination is a
-- broken path.  The verdict rules (nrb.rules.standard) and the evidence (nrb.probe.mtr
-- adds `loss` to each hop) both read hops through these functions, so the table a person
-- reads and the verdict agree.  Pure functions of the hop list; no network.
local M = {}

M.DEST_MIN = 5         -- destination loss (percent) that counts as real loss
M.PERSIST_FRAC = 0.5   -- a later hop "continues" the loss if it loses >= this fraction of it
M.SIGNIFICANCE = 0.001 -- a hop loses "less" than the destination only below this (Fisher)

-- One-sided Fisher exact test: the probability, were both hops losing at one common rate,
-- that the first (a lost of n1) would lose a or fewer, given the second lost b of n2.
-- Small: the first hop really loses less.
function M.fisher_lower(a, n1, b, n2)
  local K, N = a + b, n1 + n2
  if n1 <= 0 or n2 <= 0 or K == 0 then return 1 end
  local lf = { [0] = 0 }
  for i = 1, N do lf[i] = lf[i - 1] + math.log(i) end
  local function lchoose(n, k) return lf[n] - lf[k] - lf[n - k] end
  local p, total = 0, lchoose(N, n1)
  for x = math.max(0, n1 - (N - K)), math.min(a, K) do
    p = p + math.exp(lchoose(K, x) + lchoose(N - K, n1 - x) - total)
  end
  return math.min(1, p)
end

-- Where loss that reaches the destination (the last hop, losing at least DEST_MIN)
-- starts: the index of the first hop of the run, or nil.  Walking back from the
-- destination, a hop continues the run if it loses at least PERSIST_FRAC of the
-- destination's rate, or if it loses something and its lower loss could be chance
-- (Fisher, SIGNIFICANCE: with 20 rounds at 30% loss, a hop often shows 15% while the
-- destination shows 40%).  A hop that loses nothing ends the run; a silent hop neither
-- starts nor breaks it.
function M.persistent_start(hops)
  if not hops or #hops == 0 then return nil end
  local dest = hops[#hops]
  if not dest or (dest.loss_pct or 0) < M.DEST_MIN then return nil end
  local dn, dl = dest.sent or 0, (dest.sent or 0) - (dest.received or 0)
  local start = #hops
  for i = #hops - 1, 1, -1 do
    local h = hops[i]
    local n, lost = h.sent or 0, (h.sent or 0) - (h.received or 0)
    if h.received == 0 and n > 0 then
      -- a silent hop neither starts nor breaks a run of loss
    elseif (h.loss_pct or 0) >= dest.loss_pct * M.PERSIST_FRAC or
           (lost > 0 and M.fisher_lower(lost, n, dl, dn) >= M.SIGNIFICANCE) then
      start = i
    else
      break
    end
  end
  return start
end

-- Does a hop after hops[i] answer and lose less than PERSIST_FRAC of hop i's loss?  Then
-- hop i's loss (or silence) is its own: the packets it "lost" went on.
function M.later_hop_better(hops, i)
  local h = hops[i]
  for j = i + 1, #hops do
    local g = hops[j]
    if (g.received or 0) > 0 and (g.loss_pct or 0) < (h.loss_pct or 0) * M.PERSIST_FRAC then
      return true
    end
  end
  return false
end

-- Each hop's loss, in order (nil for a hop never probed):
--   "none"      it answered every probe;
--   "persists"  it lost probes and the loss carries on: the hop is in the run of loss
--               that reaches the destination (persistent_start), or no later hop answers
--               with clearly less loss (PERSIST_FRAC) — everything after it loses as much,
--               or nothing after it answers;
--   "local"     it lost probes (or never answered) while a later hop answers with less
--               than PERSIST_FRAC of its loss: the loss stays at this hop — a router
--               limiting the ICMP it sends, not a broken path.
-- The first rule wins: a hop that starts the destination's loss "persists" even where it
-- also loses more than the hops after it (rate limiting on top of a lossy link).
function M.classify(hops)
  local out = {}
  local start = M.persistent_start(hops)
  for i, h in ipairs(hops or {}) do
    local sent = h.sent or 0
    if sent > 0 then
      if (h.received or 0) >= sent then
        out[i] = "none"
      elseif start and i >= start then
        out[i] = "persists"
      elseif M.later_hop_better(hops, i) then
        out[i] = "local"
      else
        out[i] = "persists"
      end
    end
  end
  return out
end

-- Set `loss` on each hop of mtr evidence (ev.hops; ev.tcp's too, the step's TCP
-- rounds).  Returns ev.
function M.annotate(ev)
  if type(ev) ~= "table" then return ev end
  for _, e in ipairs({ ev, ev.tcp }) do
    if type(e) == "table" and type(e.hops) == "table" then
      local c = M.classify(e.hops)
      for i, h in ipairs(e.hops) do h.loss = c[i] end
    end
  end
  return ev
end

return M
