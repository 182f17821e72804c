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
function M.copy(v, root)
  root = root or "evidence"
  local notes, counts = {}, {}
  local entries, bytes = 0, 0
  local on_path = {}  -- tables being copied above the current one: cycle detection
  -- note("a cycle", "cut", path): the first path of each kind is named, the rest counted
  local function note(kind, action, path)
    counts[kind] = (counts[kind] or 0) + 1
    if counts[kind] == 1 then notes[#notes + 1] = { kind = kind, action = action, path = path } end
  end

  local copy
  local function scalar(x, path)
    local t = type(x)
    if t == "string" then
      if #x > M.MAX_STRING or bytes + #x > M.MAX_BYTES then
        local keep = math.max(0, math.min(M.MAX_STRING, M.MAX_BYTES - bytes))
        note("a string over " .. M.MAX_STRING .. " bytes", "cut", path)
        x = x:sub(1, keep) .. "...(cut)"
      end
      bytes = bytes + #x
      return x
    elseif t == "number" then
      if math.type(x) == "float" and not is_finite(x) then
        note("a number JSON cannot hold (" .. bad_number(x) .. ")", "replaced by text", path)
        return bad_number(x)
      end
      return x
    elseif t == "boolean" or x == json.null then
      return x
    end
    note("a " .. t, "replaced by text", path)
    return "(" .. t .. ")"
  end

  copy = function(x, path, depth)
    if type(x) ~= "table" then return scalar(x, path) end
    if on_path[x] then
      note("a cycle", "cut", path)
      return "(cycle: refers back to " .. on_path[x] .. ")"
    end
    if depth > M.MAX_DEPTH then
      note("tables nested deeper than " .. M.MAX_DEPTH .. " levels", "dropped", path)
      return "(nested deeper than " .. M.MAX_DEPTH .. " levels)"
    end
    on_path[x] = path
    local out, dropped = {}, 0
    local mt = getmetatable(x)
    local marked_array = json.is_array(x)
    local order = type(mt) == "table" and rawget(mt, "__jsonorder") or nil
    -- keys in a stable order (integers, then strings, then the rest), so the copy and its
    -- notes are the same on every run, and converted keys never overwrite a real one
    local keys, odd = {}, {}
    for k in next, x do
      if type(k) == "string" or math.type(k) == "integer" then keys[#keys + 1] = k else odd[#odd + 1] = k end
    end
    table.sort(keys, function(a, b)
      local ta, tb = type(a), type(b)
      if ta ~= tb then return ta == "number" end
      return a < b
    end)
    for _, k in ipairs(keys) do
      if entries >= M.MAX_ENTRIES then
        dropped = dropped + 1
      else
        entries = entries + 1
        out[k] = copy(rawget(x, k), path_of(path, k), depth + 1)
      end
    end
    local named = {}
    for _, k in ipairs(odd) do named[#named + 1] = { key_text(k), k } end
    table.sort(named, function(a, b) return a[1] < b[1] end)
    for _, kv in ipairs(named) do
      if entries >= M.MAX_ENTRIES then
        dropped = dropped + 1
      else
        local text = kv[1]
        local name, n = text, 1
        while out[name] ~= nil do n = n + 1; name = text .. "#" .. n end
        note("a " .. type(kv[2]) .. " key", "turned into text", path_of(path, name))
        entries = entries + 1
        out[name] = copy(rawget(x, kv[2]), path_of(path, name), depth + 1)
      end
    end
    if dropped > 0 then
      note("more than " .. M.MAX_ENTRIES .. " entries in all", "the rest dropped", path)
      if marked_array or (#out > 0 and next(out, #out) == nil) then
        out[#out + 1] = string.format("(%d more entries dropped)", dropped)
      else
        out["(dropped)"] = string.format("%d more entries dropped", dropped)
      end
    end
    on_path[x] = nil
    if marked_array then
      json.array(out)
    elseif type(order) == "table" then
      local o = {}
      for i, k in ipairs(order) do if type(k) == "string" then o[#o + 1] = k end; if i > 64 then break end end
      json.object(out, o)
    end
    return out
  end

  local result = copy(v, root, 1)
  local lines = {}
  for _, n in ipairs(notes) do
    local more = counts[n.kind] > 1 and string.format(" (and %d more)", counts[n.kind] - 1) or ""
    lines[#lines + 1] = string.format("%s at %s %s%s", n.kind, n.path, n.action, more)
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
