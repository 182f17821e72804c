-- nrb.expr: the small expression language of YAML runbooks.
--
-- `when:` conditions and `${...}` references are Lua *expressions* (not statements),
-- evaluated in a read-only scope holding `params`, `steps` and, inside findings,
-- `evidence`.  Examples:
--     when: steps.resolve.status == "ok"
--     address: ${steps.resolve.evidence.addresses[1]}
--     text: "port ${params.port} answered in ${evidence.rtt_ms} ms"
-- A value that is exactly one "${...}" keeps its type (number, table); text around
-- references makes a string.  Compile errors are found by `nrb check`.
local M = {}

-- Helpers available inside expressions.
local HELPERS = {
  contains = function(list, v)
    if type(list) ~= "table" then return false end
    for _, x in ipairs(list) do if x == v then return true end end
    return false
  end,
  count = function(list) return type(list) == "table" and #list or 0 end,
  tostring = tostring, tonumber = tonumber, type = type,
  string = string, math = math,
}

-- Scope table for an evaluation: names from vars, then helpers; nothing else.
local function scope(vars)
  return setmetatable({}, {
    __index = function(_, k)
      local v = vars[k]
      if v ~= nil then return v end
      return HELPERS[k]
    end,
    __newindex = function() error("expressions cannot assign", 2) end,
  })
end

local function strip_chunk_prefix(msg)
  return (tostring(msg):gsub("^%[?string[^:]*:%d+: ", ""):gsub("^expr:%d+: ", ""))
end

-- Compile one expression. Returns fn or nil, message.
function M.compile(src)
  if type(src) == "boolean" or type(src) == "number" then
    src = tostring(src)
  end
  if type(src) ~= "string" or src:match("^%s*$") then
    return nil, "expression must be non-empty text"
  end
  local fn, err = load("return (" .. src .. ")", "=expr", "t", {})
  if not fn then return nil, "bad expression '" .. src .. "': " .. strip_chunk_prefix(err) end
  return fn
end

-- Evaluate compiled fn against vars. Returns ok, value_or_message.
function M.eval(fn, vars)
  -- the compiled chunk's only upvalue is _ENV; point it at this evaluation's scope
  local ok, v = pcall(M._call, fn, scope(vars))
  if not ok then return false, strip_chunk_prefix(v) end
  return true, v
end

-- Call a compiled expression with env as its _ENV.
function M._call(fn, env)
  -- debug.setupvalue is available to trusted code only
  debug.setupvalue(fn, 1, env)
  return fn()
end

-- Split text into literal parts and ${...} references.  Returns a list of
-- {lit = "..."} and {expr = "...", fn = f} items, or nil, message.
function M.parse_template(text)
  local parts, pos = {}, 1
  while true do
    local s = text:find("${", pos, true)
    if not s then
      if pos <= #text then parts[#parts + 1] = { lit = text:sub(pos) } end
      break
    end
    if s > pos then parts[#parts + 1] = { lit = text:sub(pos, s - 1) } end
    -- find the matching close brace, allowing nested braces inside the expression
    local depth, i = 1, s + 2
    while i <= #text and depth > 0 do
      local c = text:sub(i, i)
      if c == "{" then depth = depth + 1 elseif c == "}" then depth = depth - 1 end
      i = i + 1
    end
    if depth ~= 0 then return nil, "unclosed '${' in '" .. text .. "'" end
    local src = text:sub(s + 2, i - 2)
    local fn, err = M.compile(src)
    if not fn then return nil, err end
    parts[#parts + 1] = { expr = src, fn = fn }
    pos = i
  end
  return parts
end

-- Does text contain a reference?
function M.has_ref(text)
  return type(text) == "string" and text:find("${", 1, true) ~= nil
end

-- Text for a value inside a string: nil is empty, floats get at most 3 decimals
-- (0.222666 ms reads as 0.223), lists are joined with ", ".
function M.format(v)
  if v == nil then return "" end
  if math.type(v) == "float" then
    return (string.format("%.3f", v):gsub("0+$", ""):gsub("%.$", ""))
  end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = M.format(x) end
    return table.concat(parts, ", ")
  end
  return tostring(v)
end

-- Expand a parsed template. Returns ok, value_or_message.
function M.expand(parts, vars)
  if #parts == 1 and parts[1].fn then return M.eval(parts[1].fn, vars) end
  local out = {}
  for _, p in ipairs(parts) do
    if p.lit then
      out[#out + 1] = p.lit
    else
      local ok, v = M.eval(p.fn, vars)
      if not ok then return false, v end
      out[#out + 1] = M.format(v)
    end
  end
  return true, table.concat(out)
end

return M
