-- Tests of nrb.luapos: positions of a Lua runbook's table constructors (for nrb check) and
-- the column of a syntax error's token.  Positions are {line, col} of a field's value.
local luapos = require "nrb.luapos"

local T = {}

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s:\n got: %s\nwant: %s", what, tostring(got), tostring(want)), 2)
  end
end

local function at(p) return p and (p[1] .. ":" .. p[2]) or "none" end

-- Run src (a chunk returning a table) and return the table and its positions.
local function pos_of(src)
  local t = assert(load(src, "=src", "t", { print = print }))()
  return t, luapos.positions(src, t)
end

function T.fields_nested_and_in_lists()
  local src = [[
return {
  name = "x", ["summary"] = 'y',
  steps = {
    { id = "a", uses = "ping" },
    {
      id = "b",
      with = { host = "192.0.2.1" },
    },
  },
}]]
  local t, pos = pos_of(src)
  eq(at(pos[t]["@"]), "1:8", "root")
  eq(at(pos[t].name), "2:10", "name")
  eq(at(pos[t].summary), "2:29", "constant [key]")
  eq(at(pos[t.steps][1]), "4:5", "list item")
  eq(at(pos[t.steps[1]].uses), "4:24", "field in item")
  eq(at(pos[t.steps[2]]["@"]), "5:5", "second item")
  eq(at(pos[t.steps[2].with].host), "7:23", "nested")
end

function T.functions_comments_strings_and_locals()
  local src = [==[
-- a comment with { braces } and "quotes"
local helper = { id = "h", uses = "route" }  --[[ a long
comment, with commas { } ]]
local s = [[a long string
with } and , inside]]
return {
  name = "x",
  steps = {
    { id = "f", run = function(ctx)
        local a, b = { 1, 2 }, "}"
        for i = 1, 3 do a[i] = i end
        while false do end
        if a then b = "," elseif b then b = 1 else b = 2 end
        repeat local z = 1 until true
        do local w = { q = 1 } end
        return { n = a }
      end, title = "after the function" },
    helper,
  },
  verdict = function() return { class = "OK" } end,
}]==]
  local t, pos = pos_of(src)
  eq(at(pos[t.steps[1]].title), "17:20", "field after a function value")
  eq(at(pos[t.steps][2]), "18:5", "a local as a list item")
  eq(at(pos[t.steps[2]].uses), "2:35", "the local's own fields")
  eq(at(pos[t].verdict), "20:13", "function value")
end

function T.tables_not_spelled_out_have_no_position()
  local src = [[
local function mk(id) return { id = id, uses = "ping" } end
return { name = "x", steps = { mk("a"), mk("b") } }]]
  local t, pos = pos_of(src)
  eq(at(pos[t].steps), "2:30", "steps itself")
  eq(pos[t.steps[1]], nil, "built by a function")
  -- a returned local
  local t2, pos2 = pos_of("local rb = {\n  name = 'x' }\nreturn rb")
  eq(at(pos2[t2].name), "2:10", "returned local")
  -- not Lua the tokenizer follows: no positions, no error
  eq(luapos.positions("return { 'unterminated }", {}), nil, "bad source")
end

function T.syntax_error_column()
  eq(luapos.error_column("local x = = 1\n", 1, "="), 11, "second '='")
  eq(luapos.error_column("local a = ) + f(b)\n", 1, ")"), 11, "first ')'")
  eq(luapos.error_column("local t = { a = 1 b = 2 }\n", 1, "b"), 19, "a name")
  eq(luapos.error_column("x = '=' = 1\n", 1, "="), 9, "not inside a string")
  eq(luapos.error_column("return {\n  name = 'x' 'y',\n}\n", 2, "'y'"), 14, "a string token")
  eq(luapos.error_column("return (1\n", 1, "<eof>"), 10, "end of file")
  -- what Lua itself says, end to end
  local src = "local ok = 1\nlocal y = ok + + * 2\n" -- unary + is not Lua: the second one
  local _, err = load(src, "=s", "t")
  local line, near = err:match("^s:(%d+): .* near '(.-)'$")
  eq(luapos.error_column(src, tonumber(line), near), 16, "from load's message: " .. err)
end

return T
