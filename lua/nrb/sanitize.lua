-- nrb.sanitize: make what a runbook hands back safe to keep, encode and render.
--
-- A step's evidence is whatever table its Lua code returned: it may hold cycles, functions,
-- coroutines, userdata, NaN, tables as keys, metatables, or be enormous.  The report must be
-- written whatever it holds (the JSON encoder refuses such values, the Markdown renderer
-- would recurse forever on a cycle), so the runner keeps a *copy* made here: bounded in
-- depth and size, cycles cut, every value JSON can say kept as it is, the rest replaced by
-- short text, with a list of what was changed so the report can say so.
--
-- The copy never runs runbook code: tables are walked with `next` (no __pairs), metatables
-- are read with getmetatable only to keep the JSON array/object marks, nothing is passed to
-- tostring (no __tostring).
local json = require "nrb.core.json"

local M = {}

M.MAX_DEPTH = 32          -- tables nested deeper are replaced by a note
M.MAX_ENTRIES = 100000    -- table entries in one copy; the rest are dropped
M.MAX_STRING = 1 << 20    -- bytes of one string; longer ones are cut
M.MAX_BYTES = 8 << 20     -- bytes of all strings in one copy

-- Text for a number that JSON cannot hold (NaN, infinities).
local function bad_number(v)
  if v ~= v then return "NaN" end
  return v > 0 and "Infinity" or "-Infinity"
end

local function is_finite(v)
  return v == v and v ~= math.huge and v ~= -math.huge
end

-- A key as text for a path ("evidence.hops[3].addr").
local function path_of(path, k)
  if math.type(k) == "integer" then return path .. "[" .. k .. "]" end
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return path .. "." .. k end
  return path .. "[" .. (type(k) == "string" and string.format("%q", k):sub(1, 40) or "?") .. "]"
end

-- A key JSON can hold, or the text that replaces it: strings and integers stay, floats,
-- booleans and other values become text.
local function key_text(k)
  local t = type(k)
  if t == "number" then
    if not is_finite(k) then return bad_number(k) end
    return string.format("%.17g", k)
  elseif t == "boolean" then
    return k and "true" or "false"
  end
  return "(" .. t .. ")"
end

-- Copy v.  Returns the copy and a sorted list of notes (empty when nothing was changed),
-- each "a function at evidence.f replaced by text".  root names the value in the notes.
-- limits: {entries =, bytes =, string =} overriding M.MAX_ENTRIES/MAX_BYTES/MAX_STRING
-- (the runner lifts the size limits for nrb's own step kinds, whose evidence it trusts
-- to be bounded: a large capture must not lose connections the rules read).
--
-- Speed matters (a capture's evidence can hold a million entries): paths are built only
-- for notes, from a stack of keys, and tables are walked in `next` order; a note names
-- the smallest path of its kind, so the notes do not depend on that order.
function M.copy(v, root, limits)
  root = root or "evidence"
  limits = limits or {}
  local max_entries = limits.entries or M.MAX_ENTRIES
  local max_bytes = limits.bytes or M.MAX_BYTES
  local max_string = limits.string or M.MAX_STRING
  local kinds = {}     -- kind -> {count, path, action}
  local entries, bytes = 0, 0
  local on_path = {}   -- tables being copied above the current one -> their depth
  local keys = {}      -- keys[d]: the key under which the value at depth d+1 sits
  local function path(depth, extra)
    local p = root
    for d = 1, depth - 1 do p = path_of(p, keys[d]) end
    if extra ~= nil then p = path_of(p, extra) end
    return p
  end
  -- note("a cycle", "cut", depth): the smallest path of each kind is named, the rest counted
  local function note(kind, action, where)
    local k = kinds[kind]
    if not k then
      kinds[kind] = { count = 1, path = where, action = action }
    else
      k.count = k.count + 1
      if where < k.path then k.path = where end
    end
  end

  local function scalar(x, depth)
    local t = type(x)
    if t == "string" then
      local n = #x
      if n > max_string or bytes + n > max_bytes then
        local keep = math.max(0, math.min(max_string, max_bytes - bytes))
        note("a string over " .. max_string .. " bytes", "cut", path(depth))
        x = x:sub(1, keep) .. "...(cut)"
      end
      bytes = bytes + #x
      return x
    elseif t == "number" then
      if x ~= x or x == math.huge or x == -math.huge then
        note("a number JSON cannot hold (" .. bad_number(x) .. ")", "replaced by text", path(depth))
        return bad_number(x)
      end
      return x
    elseif t == "boolean" or x == json.null then
      return x
    end
    note("a " .. t, "replaced by text", path(depth))
    return "(" .. t .. ")"
  end

  local copy
  copy = function(x, depth)
    if type(x) ~= "table" then return scalar(x, depth) end
    if on_path[x] then
      note("a cycle", "cut", path(depth))
      return "(cycle: refers back to " .. path(on_path[x]) .. ")"
    end
    if depth > M.MAX_DEPTH then
      note("tables nested deeper than " .. M.MAX_DEPTH .. " levels", "dropped", path(depth))
      return "(nested deeper than " .. M.MAX_DEPTH .. " levels)"
    end
    on_path[x] = depth
    local out, dropped, odd = {}, 0, nil
    for k, val in next, x do
      if type(k) == "string" or math.type(k) == "integer" then
        if entries >= max_entries then
          dropped = dropped + 1
        else
          entries = entries + 1
          keys[depth] = k
          out[k] = copy(val, depth + 1)
        end
      else
        odd = odd or {}
        odd[#odd + 1] = { key_text(k), k }
      end
    end
    if odd then
      -- after the real keys, so a converted key never overwrites one; in text order
      table.sort(odd, function(p, q) return p[1] < q[1] end)
      for _, kv in ipairs(odd) do
        if entries >= max_entries then
          dropped = dropped + 1
        else
          local name, n = kv[1], 1
          while out[name] ~= nil do n = n + 1; name = kv[1] .. "#" .. n end
          note("a " .. type(kv[2]) .. " key", "turned into text", path(depth, name))
          entries = entries + 1
          keys[depth] = name
          out[name] = copy(rawget(x, kv[2]), depth + 1)
        end
      end
    end
    local marked_array = json.is_array(x)
    if dropped > 0 then
      note("more than " .. max_entries .. " entries in all", "the rest dropped", path(depth))
      if marked_array or (#out > 0 and next(out, #out) == nil) then
        out[#out + 1] = string.format("(%d more entries dropped)", dropped)
      else
        out["(dropped)"] = string.format("%d more entries dropped", dropped)
      end
    end
    on_path[x] = nil
    if marked_array then
      json.array(out)
    else
      local mt = getmetatable(x)
      local order = type(mt) == "table" and rawget(mt, "__jsonorder") or nil
      if type(order) == "table" then
        local o = {}
        for i, k in ipairs(order) do
          if i > 64 then break end
          if type(k) == "string" then o[#o + 1] = k end
        end
        json.object(out, o)
      end
    end
    return out
  end

  local result = copy(v, 1)
  local lines = {}
  for kind, k in pairs(kinds) do
    local more = k.count > 1 and string.format(" (and %d more)", k.count - 1) or ""
    lines[#lines + 1] = string.format("%s at %s %s%s", kind, k.path, k.action, more)
  end
  table.sort(lines)
  return result, lines
end

-- Text of an error object caught by a plain pcall in trusted code: never raises and never
-- runs a __tostring (outside a limited call nothing would stop one that loops; errors
-- caught by host.pcall_step/pcall_timed are already text, see host.traceback).
function M.error_text(e)
  local t = type(e)
  if t == "string" then return e end
  if t == "number" then return tostring(e) end
  if e == nil then return "error with no message" end
  if t == "table" then
    local parts = {}
    for k, v in next, e do
      if #parts >= 8 then parts[#parts + 1] = "..."; break end
      local vt = type(v) == "string" and string.format("%q", v:sub(1, 40))
        or (type(v) == "number" or type(v) == "boolean") and tostring(v) or type(v)
      parts[#parts + 1] = (type(k) == "string" and k or "[" .. key_text(k) .. "]") .. " = " .. vt
    end
    table.sort(parts)
    return "error object {" .. table.concat(parts, ", ") .. "}"
  end
  return "error object (a " .. t .. " value)"
end

return M
