-- nrb.params: typed runbook parameters.
--
-- A runbook declares each parameter with a spec:
--     target: {type: host, required: true, description: "name or address to test"}
--     port:   {type: port, default: 443}
--     count:  {type: int, default: 5, min: 1, max: 100}
--     proto:  {type: enum, values: [tcp, udp], default: tcp}
-- Types: string, int, number, bool, port (1-65535), host (DNS name, or IP literal a
-- probe may be sent to: M.check_host), address (IP literal), enum (one of `values`).
-- Values from the command line arrive as text and are converted; defaults are checked
-- like any other value.
local M = {}

M.TYPES = { "string", "int", "number", "bool", "port", "host", "address", "enum" }
local SPEC_KEYS = { type = true, required = true, default = true, description = true,
                    values = true, min = true, max = true }

-- Addresses and targets are read by C (core/net/target.h), the same code the probes,
-- the resolver and `nrb probe` use: one reading of "1.2.3" everywhere (refused).
local core = require "nrb.core.probe"

-- A numeric IPv4 or IPv6 address, as inet_pton reads it (no destination check).
function M.is_address(s)
  return type(s) == "string" and core.parse_address(s) ~= nil
end

-- A probe target: a DNS name, or a numeric address a probe may be sent to.  Returns
-- "name" or "address", or nil and the reason ("'1.2.3' is not a valid IPv4 address ...",
-- "0.0.0.0 is the unspecified address ...").  Text whose last label is a number must be
-- a dotted quad (inet_aton's 1.2.3, 0x7f.1, 017.0.0.1 are refused, not read), and
-- unspecified, multicast, broadcast and IPv6 link-local addresses are refused.
function M.check_host(s)
  if type(s) ~= "string" then return nil, "a host name or address must be text" end
  return core.check_target(s)
end

function M.is_host(s)
  return M.check_host(s) ~= nil
end

-- Check a spec itself (for `nrb check`).  Returns a list of {key = ..., msg = ...}.
function M.check_spec(name, spec)
  local errs = {}
  local function bad(key, msg) errs[#errs + 1] = { key = key, msg = msg } end
  if not tostring(name):match("^[%a_][%w_]*$") then
    bad(nil, string.format("parameter name '%s' must be a plain identifier", tostring(name)))
  end
  if type(spec) ~= "table" then
    bad(nil, string.format("parameter '%s' must be a mapping with at least 'type'", name))
    return errs
  end
  for k in pairs(spec) do
    if not SPEC_KEYS[k] then
      bad(k, string.format("unknown key '%s' in parameter '%s' (expected one of: type, required, default, description, values, min, max)", tostring(k), name))
    end
  end
  local known = false
  for _, t in ipairs(M.TYPES) do if spec.type == t then known = true end end
  if not known then
    bad("type", string.format("parameter '%s': unknown type '%s' (expected %s)", name,
      tostring(spec.type), table.concat(M.TYPES, ", ")))
    return errs
  end
  if spec.type == "enum" then
    if type(spec.values) ~= "table" or #spec.values == 0 then
      bad("values", string.format("parameter '%s': enum needs a non-empty 'values' list", name))
    end
  elseif spec.values ~= nil then
    bad("values", string.format("parameter '%s': 'values' only applies to type enum", name))
  end
  for _, k in ipairs({ "min", "max" }) do
    if spec[k] ~= nil and (type(spec[k]) ~= "number" or
        (spec.type ~= "int" and spec.type ~= "number")) then
      bad(k, string.format("parameter '%s': '%s' must be a number and only applies to int and number", name, k))
    end
  end
  if spec.required ~= nil and type(spec.required) ~= "boolean" then
    bad("required", string.format("parameter '%s': 'required' must be true or false", name))
  end
  if spec.default ~= nil and #errs == 0 then
    local _, err = M.coerce(name, spec, spec.default)
    if err then bad("default", "default value: " .. err) end
  end
  return errs
end

-- Convert and validate one value (text from the CLI, or a typed default).
-- Returns value or nil, message that names the parameter.
function M.coerce(name, spec, raw)
  local t = spec.type
  local function fail(fmt, ...)
    return nil, string.format("parameter '%s': " .. fmt, name, ...)
  end
  local shown = type(raw) == "string" and string.format("'%s'", raw) or tostring(raw)
  if t == "string" then
    if type(raw) ~= "string" and type(raw) ~= "number" then return fail("expected text, got %s", type(raw)) end
    return tostring(raw)
  elseif t == "int" or t == "port" or t == "number" then
    local n = tonumber(raw)
    if type(raw) == "string" and raw:match("^%s*0[xX]") then n = nil end
    if n == nil then return fail("%s is not a number", shown) end
    if t ~= "number" then
      if math.type(n) == "float" then
        if n ~= math.floor(n) then return fail("%s is not a whole number", shown) end
        n = math.tointeger(n)
        if n == nil then return fail("%s is out of range", shown) end
      end
    end
    if t == "port" and (n < 1 or n > 65535) then
      return fail("%s is out of range 1-65535", shown)
    end
    if spec.min and n < spec.min then return fail("%s is below the minimum %s", shown, tostring(spec.min)) end
    if spec.max and n > spec.max then return fail("%s is above the maximum %s", shown, tostring(spec.max)) end
    return n
  elseif t == "bool" then
    if type(raw) == "boolean" then return raw end
    local s = tostring(raw):lower()
    if s == "true" or s == "yes" or s == "1" or s == "on" then return true end
    if s == "false" or s == "no" or s == "0" or s == "off" then return false end
    return fail("%s is not true or false", shown)
  elseif t == "host" then
    if type(raw) ~= "string" then return fail("expected a host name or address, got %s", type(raw)) end
    if raw == "" then return fail("must not be empty") end
    local ok, why = M.check_host(raw)
    if not ok then return fail("%s", why) end
    return raw
  elseif t == "address" then
    if not M.is_address(raw) then return fail("%s is not a numeric IPv4 or IPv6 address", shown) end
    return raw
  elseif t == "enum" then
    for _, v in ipairs(spec.values or {}) do
      if tostring(v) == tostring(raw) then return v end
    end
    local vals = {}
    for i, v in ipairs(spec.values or {}) do vals[i] = tostring(v) end
    return fail("%s is not one of: %s", shown, table.concat(vals, ", "))
  end
  return fail("unknown type '%s'", tostring(t))
end

-- Resolve all parameters of a runbook from raw values (name -> text).
-- Returns values table, or nil and a list of messages.
function M.resolve(specs, raw)
  local values, errs = {}, {}
  for name in pairs(raw) do
    if specs[name] == nil then
      local names = {}
      for n in pairs(specs) do names[#names + 1] = n end
      table.sort(names)
      errs[#errs + 1] = string.format("unknown parameter '%s' (this runbook takes: %s)", name,
        #names > 0 and table.concat(names, ", ") or "no parameters")
    end
  end
  local names = {}
  for n in pairs(specs) do names[#names + 1] = n end
  table.sort(names)
  for _, name in ipairs(names) do
    local spec = specs[name]
    local v, err
    if raw[name] ~= nil then
      v, err = M.coerce(name, spec, raw[name])
    elseif spec.default ~= nil then
      v, err = M.coerce(name, spec, spec.default)
    elseif spec.required then
      err = string.format("parameter '%s' is required%s", name,
        spec.description and (" (" .. spec.description .. ")") or "")
    end
    if err then errs[#errs + 1] = err else values[name] = v end
  end
  if #errs > 0 then return nil, errs end
  return values
end

return M
