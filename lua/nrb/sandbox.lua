-- nrb.sandbox: the environment a runbook runs in.
--
-- Each runbook (and each module a runbook requires from the runbook path) gets a fresh
-- _ENV built from an allow-list.  Reading or writing an undeclared global raises, so a
-- typo is an error at its line instead of a silent nil.  Not available: io, os, debug,
-- package, load of binary chunks, dofile/loadfile, collectgarbage, string.dump, and the
-- privileged C modules nrb.core.*.  `require` finds the public nrb.* library and Lua
-- files in the runbook folders, nothing else.
local host = require "nrb.core.host"

local M = {}

local SAFE_GLOBALS = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber",
  "tostring", "type", "xpcall", "rawequal", "rawlen", "rawget", "rawset",
  "setmetatable", "getmetatable", "_VERSION",
}
local SAFE_LIBS = { "string", "table", "math", "utf8", "coroutine" }

-- Public library modules a runbook may require (they are trusted code).
local PUBLIC = { ["nrb.probe"] = true, ["nrb.fw"] = true, ["nrb.capture"] = true, ["nrb.rules.standard"] = true, ["nrb.rules.server"] = true }

-- Read-only view of a library table: runbooks cannot change what trusted code uses.
local function readonly(t, name)
  return setmetatable({}, {
    __index = t,
    __newindex = function() error(name .. " is read-only in a runbook", 2) end,
    __metatable = false,
  })
end

-- Cache of runbook-path modules, per run.
local loaded = {}

-- The folder of the runbook being loaded: its own helper modules are found first.
local runbook_dir = nil

function M.set_runbook_dir(dir)
  runbook_dir = dir
end

local function find_module(name)
  if not name:match("^[%w_]+[%w_.]*$") then return nil end
  local rel = name:gsub("%.", "/") .. ".lua"
  if runbook_dir then
    local p = runbook_dir .. "/" .. rel
    if host.kind(p) == "file" then return p end
  end
  for _, dir in ipairs(host.runbook_dirs()) do
    local p = dir .. "/" .. rel
    if host.kind(p) == "file" then return p end
  end
  for _, root in ipairs(host.roots()) do
    local p = root .. "/runbooks/" .. rel
    if host.kind(p) == "file" then return p end
  end
  return nil
end

local function sandbox_require(name)
  if type(name) ~= "string" then error("require: module name must be a string", 2) end
  if PUBLIC[name] then return require(name) end
  if name:match("^nrb%.") then
    error(string.format("module '%s' is not available to runbooks", name), 2)
  end
  if loaded[name] ~= nil then return loaded[name] end
  local path = find_module(name)
  if not path then
    error(string.format("module '%s' not found on the runbook path", name), 2)
  end
  local fn, err = host.load_lua(path, M.new_env())
  if not fn then error(err, 2) end
  local mod = fn(name, path)
  if mod == nil then mod = true end
  loaded[name] = mod
  return mod
end

-- log(...): a line on stderr (runbooks never write to stdout: it carries the report).
local function log(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  host.write_stderr("nrb: " .. table.concat(parts, " ", 1, parts.n) .. "\n")
end

-- Make env strict: unknown globals raise on read and on write.  Runbooks declare
-- their variables with `local`.
function M.strict(env)
  return setmetatable(env, {
    __index = function(_, k)
      error(string.format("undeclared global '%s'", tostring(k)), 2)
    end,
    __newindex = function(_, k)
      error(string.format("assignment to undeclared global '%s' (use 'local')", tostring(k)), 2)
    end,
    __metatable = false,
  })
end

-- A fresh environment for one runbook chunk.
function M.new_env(extra)
  local env = {}
  for _, k in ipairs(SAFE_GLOBALS) do env[k] = _G[k] end
  for _, k in ipairs(SAFE_LIBS) do env[k] = readonly(_G[k], k) end
  env.require = sandbox_require
  env.print = log
  env.log = log
  env.load = function(chunk, name, mode, e)
    if type(chunk) ~= "string" then error("load accepts only a string", 2) end
    return load(chunk, name, "t", e or env)
  end
  env._G = env
  if extra then for k, v in pairs(extra) do env[k] = v end end
  return M.strict(env)
end

-- Forget modules loaded from the runbook path (a new run starts clean).
function M.reset()
  loaded = {}
end

return M
