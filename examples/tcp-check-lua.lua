-- tcp-check (Lua flavour): the same check as tcp-check.yaml, written as a Lua runbook.
-- A Lua runbook returns the same table a YAML runbook describes; `with`, `when`, `run`
-- and `verdict` may be functions.  Runbooks use the public nrb.* modules only.
local probe = require "nrb.probe"

local function first_address(ctx)
  local r = ctx.steps.resolve
  return r and r.status == "ok" and r.evidence.addresses[1] or nil
end

return {
  name = "tcp-check-lua",
  summary = "Resolve the target and test a TCP port against a comparison port (Lua)",
  params = {
    target = { type = "host", required = true, description = "name or address of the server" },
    port = { type = "port", default = 443 },
    compare_port = { type = "port", default = 80 },
  },
  steps = {
    { id = "resolve", title = "Resolve the target name", uses = "resolve",
      with = { host = "${params.target}" } },
    { id = "ports", title = "Connect to the service and the comparison port",
      when = function(ctx) return first_address(ctx) ~= nil end,
      run = function(ctx)
        local addr = first_address(ctx)
        local ev = {
          service = probe.tcping{ host = addr, port = ctx.params.port, count = 3 },
          compare = probe.tcping{ host = addr, port = ctx.params.compare_port, count = 1 },
        }
        local status = ev.service.status == "connected" and "ok" or "failed"
        return ev, status
      end },
  },
  verdict = function(ctx)
    local r, p = ctx.steps.resolve, ctx.steps.ports
    if r.status ~= "ok" then
      return { class = "DNS_FAILURE", confidence = "high",
               summary = ctx.params.target .. " does not resolve from here",
               reasons = { "resolver answer: " .. tostring(r.evidence.error) } }
    end
    local s, c = p.evidence.service, p.evidence.compare
    if s.status == "connected" then
      return { class = "OK", confidence = "high",
               summary = string.format("port %d accepts connections from here", ctx.params.port),
               reasons = { string.format("%d of %d connections succeeded", s.connected, s.sent) } }
    elseif s.status == "refused" then
      return { class = "SERVICE_DOWN", confidence = "medium", address = s.address,
               summary = string.format("%s answers port %d with a reset", s.address, ctx.params.port),
               reasons = { "every connection was refused (TCP RST)" } }
    elseif s.status == "timeout" and c.status == "connected" then
      return { class = "PATH_FIREWALL", confidence = "low",
               summary = string.format("port %d is dropped while port %d connects",
                                       ctx.params.port, ctx.params.compare_port),
               reasons = { "a TCP trace is needed to tell a path filter from the server's" } }
    end
    return { class = "ROUTING", confidence = "low",
             summary = "no TCP answer from " .. ctx.params.target,
             reasons = { "service port: " .. s.status, "comparison port: " .. c.status } }
  end,
}
