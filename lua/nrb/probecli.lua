-- nrb.probecli: `nrb probe KIND ...` — one probe by hand, printed as a small table a
-- person can read (or JSON with --format json).  Option values are checked with the same
-- types as runbook parameters, so `--port 0` is refused before anything is sent.
local host = require "nrb.core.host"
local json = require "nrb.core.json"
local params = require "nrb.params"
local probe = require "nrb.probe"
local expr = require "nrb.expr"

local M = {}

local fmt = expr.format

local function resolve_one(name)
  local r = probe.resolve{ host = name }
  if r.status ~= "ok" then return nil, string.format("%s does not resolve: %s", name, r.error or "no address") end
  return r.addresses[1]
end

M.kinds = {}

M.kinds.resolve = {
  usage = "nrb probe resolve HOST [--family any|ipv4|ipv6] [--format text|json]",
  summary = "resolve a name to its addresses (getaddrinfo), with the time it took",
  opts = { family = { type = "enum", values = { "any", "ipv4", "ipv6" }, default = "any" } },
  run = function(target, o)
    return probe.resolve{ host = target, family = o.family }
  end,
  text = function(ev)
    if ev.status ~= "ok" then return string.format("%s: does not resolve (%s)\n", ev.host, ev.error) end
    return string.format("%s: %s (%s ms)\n", ev.host, table.concat(ev.addresses, ", "), fmt(ev.time_ms))
  end,
}

M.kinds.tcp = {
  usage = "nrb probe tcp HOST --port N [--count N] [--timeout-ms N] [--format text|json]",
  summary = "TCP connect to a port, COUNT times (like tcping / nc -vz)",
  opts = {
    port = { type = "port", required = true },
    count = { type = "int", default = 3, min = 1, max = 20 },
    timeout_ms = { type = "int", default = 2000, min = 1, max = 60000 },
  },
  run = function(target, o)
    return probe.tcping{ host = target, port = o.port, count = o.count, timeout_ms = o.timeout_ms }
  end,
  text = function(ev)
    if ev.status == "unresolved" then return string.format("%s: does not resolve (%s)\n", ev.host, ev.error) end
    local out = { string.format("tcp %s port %d: %s, %d/%d connected", ev.address, ev.port, ev.status,
      ev.connected, ev.sent) }
    if ev.rtt_avg_ms then
      out[1] = out[1] .. string.format(", rtt min/avg/max %s/%s/%s ms", fmt(ev.rtt_min_ms),
        fmt(ev.rtt_avg_ms), fmt(ev.rtt_max_ms))
    end
    out[#out + 1] = string.format("  %-3s %-12s %10s  %s", "#", "status", "time_ms", "error")
    for i, a in ipairs(ev.attempts) do
      out[#out + 1] = string.format("  %-3d %-12s %10s  %s", i, a.status, fmt(a.rtt_ms), a.error or "")
    end
    return table.concat(out, "\n") .. "\n"
  end,
}

M.kinds.route = {
  usage = "nrb probe route HOST [--format text|json]",
  summary = "the kernel's route to an address (like ip route get)",
  opts = {},
  run = function(target)
    local addr, err = resolve_one(target)
    if not addr then return nil, err end
    local ev, rerr = probe.route{ address = addr }
    if not ev then return nil, rerr end
    return ev
  end,
  text = function(ev)
    if ev.status ~= "ok" then
      return string.format("route to %s: none usable (%s: %s)\n", ev.address, ev.type or "none", ev.error)
    end
    local parts = { string.format("route to %s: %s", ev.address, ev.type) }
    if ev.gateway then parts[#parts + 1] = "via " .. ev.gateway end
    if ev.dev then parts[#parts + 1] = "dev " .. ev.dev end
    if ev.prefsrc then parts[#parts + 1] = "src " .. ev.prefsrc end
    parts[#parts + 1] = "table " .. (ev.table == 254 and "main" or tostring(ev.table))
    return table.concat(parts, " ") .. "\n"
  end,
}

local function names()
  local n = {}
  for k in pairs(M.kinds) do n[#n + 1] = k end
  table.sort(n)
  return n
end

function M.usage()
  local out = { "usage: nrb probe KIND TARGET [OPTIONS]", "", "Run one probe by hand and print what it saw.", "", "kinds:" }
  for _, k in ipairs(names()) do
    out[#out + 1] = string.format("  %-8s %s", k, M.kinds[k].summary)
  end
  out[#out + 1] = ""
  out[#out + 1] = "`nrb probe KIND --help` shows a kind's options; --format json prints the evidence table."
  return table.concat(out, "\n") .. "\n"
end

local function usage_error(msg, kind)
  host.write_stderr("nrb: " .. msg .. "\nTry 'nrb probe " .. (kind and (kind .. " ") or "") .. "--help' for more information.\n")
  return 2
end

-- o.argv: the arguments after `probe`.
function M.main(o)
  local argv = o.argv or {}
  local kind_name = argv[1]
  if kind_name == nil then return usage_error("which probe? (" .. table.concat(names(), ", ") .. ")") end
  if kind_name == "--help" or kind_name == "-h" then host.write_stdout(M.usage()); return 0 end
  local kind = M.kinds[kind_name]
  if not kind then
    return usage_error(string.format("unknown probe '%s' (known: %s)", kind_name, table.concat(names(), ", ")))
  end
  local raw, target, format = {}, nil, "text"
  local i = 2
  while i <= #argv do
    local a = argv[i]
    if a == "--help" or a == "-h" then
      host.write_stdout("usage: " .. kind.usage .. "\n\n" .. kind.summary .. "\n")
      return 0
    elseif a:sub(1, 2) == "--" then
      local name, val = a:sub(3):match("^([^=]+)=(.*)$")
      if not name then
        name = a:sub(3)
        i = i + 1
        val = argv[i]
        if val == nil then return usage_error("--" .. name .. " needs a value", kind_name) end
      end
      local key = name:gsub("-", "_")
      if key == "format" then
        if val ~= "text" and val ~= "json" then return usage_error("--format must be text or json", kind_name) end
        format = val
      elseif not kind.opts[key] then
        return usage_error(string.format("unknown option --%s for probe %s", name, kind_name), kind_name)
      else
        raw[key] = val
      end
    elseif target == nil then
      target = a
    else
      return usage_error(string.format("unexpected argument '%s'", a), kind_name)
    end
    i = i + 1
  end
  if target == nil then return usage_error("probe " .. kind_name .. " needs a target (name or address)", kind_name) end
  if not params.is_host(target) then
    host.write_stderr(string.format("nrb: '%s' is not a host name or IP address; nothing sent\n", target))
    return 1
  end
  local values, errs = params.resolve(kind.opts, raw)
  if not values then
    for _, e in ipairs(errs) do host.write_stderr("nrb: " .. e:gsub("parameter '([%w_]+)'", function(n) return "--" .. n:gsub("_", "-") end) .. "; nothing sent\n") end
    return 1
  end
  local ev, err = kind.run(target, values)
  if not ev then
    host.write_stderr("nrb: " .. tostring(err) .. "\n")
    return err and err:find("does not resolve") and 1 or 3
  end
  if format == "json" then
    host.write_stdout(json.encode(ev, { pretty = true }) .. "\n")
  else
    host.write_stdout(kind.text(ev))
  end
  return 0
end

return M
