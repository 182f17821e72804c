-- nrb.util: small helpers shared by the trusted library (not for runbooks).
local M = {}

-- Shallow copy of a table.
function M.copy(t)
  local r = {}
  for k, v in pairs(t) do r[k] = v end
  return r
end

-- Sorted list of a table's keys (strings before numbers, each sorted).
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta == "string" end
    return a < b
  end)
  return keys
end

-- "FILE:LINE:COL" for positions entry pos ({line, col}) in file, or just FILE.
function M.where(file, pos)
  if pos then return string.format("%s:%d:%d", file, pos[1], pos[2]) end
  return file
end

-- Is s one of the values of list?
function M.contains(list, s)
  for _, v in ipairs(list) do if v == s then return true end end
  return false
end

-- Round a number to n decimals (for durations in reports).
function M.round(x, n)
  local m = 10 ^ (n or 0)
  return math.floor(x * m + 0.5) / m
end

return M
