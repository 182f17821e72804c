-- nrb.report.capture: a capture analysis (nrb.core.capture.analyze_file) as a Markdown
-- section — the workflow where a customer sends a capture with their ticket.
local expr = require "nrb.expr"

local M = {}

local fmt = expr.format

local function cell(s)
  if s == nil then return "" end
  return (tostring(s):gsub("\\", "\\\\"):gsub("|", "\\|"):gsub("\r?\n", " "))
end

local function endpoint(side)
  if not side then return "?" end
  local a = tostring(side.address)
  if a:find(":", 1, true) then a = "[" .. a .. "]" end
  return side.port and (a .. ":" .. side.port) or a
end

local SEVERITY = { problem = 1, warning = 2, info = 3 }

-- The body shared by the stand-alone analysis and the ticket's section: counts,
-- findings, TCP connections, UDP, ICMP errors; h is the heading prefix ("##", "###").
local function body(r, opts, p, h)
  local st = r.stats or {}
  p(string.format("%s packets (%s bytes) over %s s, link type %s%s%s.", fmt(st.packets or 0), fmt(st.bytes or 0),
    fmt((st.duration_ms or 0) / 1000), cell(r.link and r.link.name or "?"),
    (st.vlan_tagged or 0) > 0 and string.format(", %d VLAN-tagged", st.vlan_tagged) or "",
    opts.target and string.format("; looking at %s%s", opts.target, opts.port and (" port " .. opts.port) or "") or ""))
  if r.truncated then p("") p("> The file is truncated: the analysis covers what could be read.") end
  local notes = {}
  for _, k in ipairs({ "malformed", "snaplen_cut", "non_ip", "fragments", "flows_dropped" }) do
    if (st[k] or 0) > 0 then notes[#notes + 1] = string.format("%s %s", fmt(st[k]), k:gsub("_", " ")) end
  end
  if #notes > 0 then p("") p("Not analysed: " .. table.concat(notes, ", ") .. ".") end
  p("")
  local findings = {}
  for _, f in ipairs(r.findings or {}) do findings[#findings + 1] = f end
  table.sort(findings, function(a, b) return (SEVERITY[a.severity] or 9) < (SEVERITY[b.severity] or 9) end)
  if #findings > 0 then
    p(h .. " Findings")
    p("")
    for _, f in ipairs(findings) do p(string.format("- **%s**: %s", f.severity, f.text)) end
    p("")
  end
  local conns = r.connections or {}
  if #conns > 0 then
    p(h .. " TCP connections")
    p("")
    p("| Client | Server | State | History | Handshake RTT | Retransmits | Reset by | Reset provenance |")
    p("|---|---|---|---|---|---|---|---|")
    for _, c in ipairs(conns) do
      local prov = c.reset and string.format("%s (%s)", c.reset.origin, c.reset.confidence) or ""
      p(string.format("| %s | %s | %s (%s) | `%s` | %s | %s | %s | %s |", cell(endpoint(c.orig)), cell(endpoint(c.resp)),
        cell(c.state), cell(c.state_desc), cell(c.history), c.handshake_rtt_ms and (fmt(c.handshake_rtt_ms) .. " ms") or "",
        fmt(((c.orig or {}).retransmissions or 0) + ((c.resp or {}).retransmissions or 0)),
        cell(c.reset_by or ""), cell(prov)))
    end
    p("")
    for _, c in ipairs(conns) do
      if c.reset and c.reset.reasons and #c.reset.reasons > 0 then
        -- the reset's own direction: from the side that reset the connection
        local from, to = c.resp, c.orig
        if c.reset_by == "orig" then from, to = c.orig, c.resp end
        p(string.format("Reset %s → %s:", cell(endpoint(from)), cell(endpoint(to))))
        for _, why in ipairs(c.reset.reasons) do p("- " .. why) end
        p("")
      end
    end
  end
  local udp = r.udp or {}
  if #udp > 0 then
    p(h .. " UDP")
    p("")
    p("| Client | Server | Requests | Responses | RTT | Status |")
    p("|---|---|---|---|---|---|")
    for _, u in ipairs(udp) do
      p(string.format("| %s:%s | %s:%s | %s | %s | %s | %s |", cell(u.client), cell(u.client_port), cell(u.server),
        cell(u.server_port), fmt(u.requests or 0), fmt(u.responses or 0), u.rtt_ms and (fmt(u.rtt_ms) .. " ms") or "", cell(u.status)))
    end
    p("")
  end
  local icmp = r.icmp or {}
  if #icmp > 0 then
    p(h .. " ICMP errors")
    p("")
    p("| From | Type/code | Kind | About | TTL | From the target? |")
    p("|---|---|---|---|---|---|")
    for _, e in ipairs(icmp) do
      local q = e.quote or {}
      p(string.format("| %s | %s/%s | %s | %s %s:%s → %s:%s | %s | %s |", cell(e.sender), fmt(e.type or "?"), fmt(e.code or "?"),
        cell(e.kind or e.name), cell(q.proto), cell(q.src), cell(q.sport), cell(q.dst), cell(q.dport), fmt(e.ttl or ""),
        e.from_target and ((e.provenance and e.provenance.origin) or "yes") or "no"))
    end
    p("")
  end
end

function M.markdown(r, opts)
  opts = opts or {}
  local out = {}
  local function p(s) out[#out + 1] = s end
  p(string.format("# Capture analysis: %s", cell(r.file)))
  p("")
  body(r, opts, p, "##")
  p("---\nAnalysed by nrb")
  return table.concat(out, "\n") .. "\n"
end

-- The ticket's section for a live capture (capture_stop evidence, doc/evidence.md):
-- where the .pcap is, how it was taken, then the analysis.  Text without a heading.
function M.section(ev)
  local out = {}
  local function p(s) out[#out + 1] = s end
  p(string.format("Capture file: %s", ev.pcap and ("`" .. cell(ev.pcap) .. "`") or "(not written)"))
  p("")
  p(string.format("Taken on interface `%s` with filter `%s`; stopped by %s.", cell(ev.interface or "?"),
    cell(ev.filter ~= "" and ev.filter or "(everything)"), cell(ev.stopped_by or "?")))
  p("")
  body(ev, { target = ev.address, port = ev.port }, p, "###")
  return (table.concat(out, "\n"):gsub("\n+$", ""))
end

return M
