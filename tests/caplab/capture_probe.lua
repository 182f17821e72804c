-- A Lua runbook for tests/caplab/caplab.sh: a live capture (nrb.capture) around port
-- probes, and the capture evidence the standard rules read.  Params: target, port,
-- compare_port, pcap.
local capture = require "nrb.capture"
local probe = require "nrb.probe"

return {
  name = "capture-probe",
  summary = "Capture live around a SYN to the port and to a comparison port",
  params = {
    target = { type = "address", required = true },
    port = { type = "port", default = 443 },
    compare_port = { type = "port", default = 80 },
    pcap = { type = "string", required = true },
  },
  steps = {
    { id = "probe_with_capture", title = "SYNs under a live capture",
      run = function(ctx)
        local p = ctx.params
        local cap <close>, err = capture.start{ host = p.target, file = p.pcap, duration_ms = 20000 }
        if not cap then return { status = "not_started", error = err }, "failed" end
        local running = not cap:done()
        local syn = probe.tcp_syn{ address = p.target, port = p.port, timeout_ms = 1000 }
        local cmp = probe.tcp_syn{ address = p.target, port = p.compare_port, timeout_ms = 1000 }
        local a = assert(cap:stop())
        local ev = capture.evidence(a, p.port)
        ev.status, ev.running_during_probes = "ok", running
        ev.syn_status, ev.compare_status = syn.status, cmp.status
        return ev, "ok"
      end },
  },
  verdict = function() return { class = "OK", confidence = "low", summary = "capture test" } end,
}
