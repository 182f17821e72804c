-- nrb.steps: the step kinds a runbook can name with `uses:`.
--
-- Each kind declares its arguments (typed like runbook parameters, so `nrb check` can
-- reject unknown or ill-typed ones) and a run(ctx, args) function returning
-- evidence, status ("ok" or "failed") and optional findings.  YAML and Lua runbooks
-- call the same functions: one runner, two syntaxes.
local probe = require "nrb.probe"

local M = {}

M.kinds = {}

M.kinds.resolve = {
  summary = "resolve a host name to its addresses (getaddrinfo)",
  args = {
    host = { type = "host", required = true },
    family = { type = "enum", values = { "any", "ipv4", "ipv6" }, default = "any" },
  },
  run = function(_, a)
    local ev = probe.resolve{ host = a.host, family = a.family }
    if ev.status ~= "ok" then
      return ev, "failed", { { severity = "error",
        text = string.format("%s does not resolve: %s", a.host, ev.error or "no address") } }
    end
    return ev, "ok"
  end,
}

M.kinds.tcp_connect = {
  summary = "TCP connect to a port, `count` times (like tcping / nc -vz)",
  args = {
    host = { type = "host", required = true },
    port = { type = "port", required = true },
    count = { type = "int", default = 3, min = 1, max = 20 },
    timeout_ms = { type = "int", default = 2000, min = 1, max = 60000 },
  },
  run = function(_, a)
    local ev = probe.tcping{ host = a.host, port = a.port, count = a.count,
                             timeout_ms = a.timeout_ms }
    local findings = {}
    if ev.status == "connected" and ev.connected < ev.sent then
      findings[#findings + 1] = { severity = "warn", text = string.format(
        "%d of %d connections to %s port %d failed", ev.sent - ev.connected, ev.sent,
        ev.address, a.port) }
    end
    return ev, ev.connected == ev.sent and "ok" or "failed", findings
  end,
}

-- Sorted names of the kinds (for messages).
function M.names()
  local n = {}
  for k in pairs(M.kinds) do n[#n + 1] = k end
  table.sort(n)
  return n
end

return M
