-- nrb.template: the small, logic-less template language of reports/*.md.
--
--   {{ path }}                 value at path (a.b.c, a.list.1); nothing if missing
--   {{ path | filter | ... }}  filters: cell, code, upper, lower, ms, pct, join, default:TEXT
--   {{#each path}} ... {{/each}}     repeat for each item; inside, names resolve against
--                                    the item first, then outwards; {{.}} is the item,
--                                    {{@index}} its 1-based number, {{@last}}, {{@first}}
--   {{#if path}} ... {{else}} ... {{/if}}   (also {{#unless path}}); false, nil, "", 0,
--                                    json null and empty tables are false
--   {{! comment }}
-- A line holding only a block tag ({{#...}}, {{/...}}, {{else}}, {{!...}}) disappears
-- entirely, so templates can be indented and spaced for reading.  Nothing in a template
-- can run code: it can only read the data it is given.
local json = require "nrb.core.json"

local M = {}

local function escape_cell(s)
  return (tostring(s):gsub("\\", "\\\\"):gsub("|", "\\|"):gsub("\r?\n", "<br>"))
end

local function code(s)
  s = tostring(s)
  local fence = "`"
  while s:find(fence, 1, true) do fence = fence .. "`" end
  local pad = (s:sub(1, 1) == "`" or s:sub(-1) == "`") and " " or ""
  return fence .. pad .. s .. pad .. fence
end

local function fmt_number(v, decimals)
  local n = tonumber(v)
  if not n then return tostring(v) end
  if math.type(n) == "integer" then return tostring(n) end
  local s = string.format("%." .. decimals .. "f", n)
  s = s:gsub("(%..-)0+$", "%1"):gsub("%.$", "")
  return s
end

M.filters = {
  cell = function(v) return escape_cell(v) end,
  code = function(v) return code(v) end,
  upper = function(v) return tostring(v):upper() end,
  lower = function(v) return tostring(v):lower() end,
  ms = function(v) return fmt_number(v, 1) .. " ms" end,
  num = function(v) return fmt_number(v, 1) end,
  pct = function(v) return fmt_number(v, 1) .. "%" end,
  join = function(v, arg)
    if type(v) ~= "table" then return tostring(v) end
    local out = {}
    for i, x in ipairs(v) do out[i] = tostring(x) end
    return table.concat(out, arg or ", ")
  end,
  json = function(v) return json.encode(v) end,
}

local function truthy(v)
  if v == nil or v == false or v == "" or v == 0 or v == json.null then return false end
  if type(v) == "table" then return next(v) ~= nil end
  return true
end

-- Tokenize into text and tags, applying the standalone-line rule.
local function tokenize(src, name)
  local toks, pos, line = {}, 1, 1
  while pos <= #src do
    local s, e = src:find("{{", pos, true)
    if not s then
      toks[#toks + 1] = { kind = "text", text = src:sub(pos), line = line }
      break
    end
    if s > pos then
      local text = src:sub(pos, s - 1)
      toks[#toks + 1] = { kind = "text", text = text, line = line }
      local _, nl = text:gsub("\n", "")
      line = line + nl
    end
    local ce = src:find("}}", e + 1, true)
    if not ce then error(string.format("%s:%d: unclosed '{{'", name, line), 0) end
    local body = src:sub(e + 1, ce - 1):match("^%s*(.-)%s*$")
    toks[#toks + 1] = { kind = "tag", body = body, line = line }
    local _, nl = body:gsub("\n", "")
    line = line + nl
    pos = ce + 2
  end
  -- standalone rule: a block tag alone on its line removes the line.  Which tags are
  -- alone is decided on the text as written, before any line is removed: removing one
  -- tag's line must not hide that the next tag (on the next line) starts a line too, or
  -- nested blocks would leave blank lines.
  local standalone = {}
  for i, t in ipairs(toks) do
    if t.kind == "tag" and (t.body:match("^[#/!]") or t.body == "else") then
      local prev, nxt = toks[i - 1], toks[i + 1]
      local before_ok = (prev == nil and true) or (prev.kind == "text" and (prev.text:match("\n[ \t]*$") or (i == 2 and prev.text:match("^[ \t]*$"))))
      local after_ok = (nxt == nil) or (nxt.kind == "text" and (nxt.text:match("^[ \t]*\n") or nxt.text:match("^[ \t]*$") and toks[i + 2] == nil))
      standalone[i] = before_ok and after_ok
    end
  end
  for i = 1, #toks do
    if standalone[i] then
      local prev, nxt = toks[i - 1], toks[i + 1]
      -- the indentation before the tag, then the tag's line end
      if prev then prev.text = prev.text:gsub("[ \t]*$", "") end
      if nxt then nxt.text = nxt.text:gsub("^[ \t]*\n?", "", 1) end
    end
  end
  return toks
end

local function parse_expr(body, name, line)
  local parts = {}
  for p in (body .. "|"):gmatch("([^|]*)|") do parts[#parts + 1] = p:match("^%s*(.-)%s*$") end
  local path = parts[1]
  if path == "" then error(string.format("%s:%d: empty '{{ }}'", name, line), 0) end
  if not (path == "." or path:match("^@[%a]+$") or path:match("^[%a_][%w_]*[%w_.]*$")) then
    error(string.format("%s:%d: '%s' is not a path", name, line, path), 0)
  end
  local filters = {}
  for i = 2, #parts do
    local fname, arg = parts[i]:match("^([%a_]+)%s*:%s*(.*)$")
    if not fname then fname = parts[i] end
    if fname == "default" then
      filters[#filters + 1] = { default = true, arg = (arg or ""):gsub('^"(.*)"$', "%1") }
    else
      if not M.filters[fname] then
        error(string.format("%s:%d: unknown filter '%s'", name, line, fname), 0)
      end
      if arg then arg = arg:gsub('^"(.*)"$', "%1") end
      filters[#filters + 1] = { fn = M.filters[fname], arg = arg }
    end
  end
  return { path = path, filters = filters }
end

-- Compile template text into a tree. Raises "NAME:LINE: message" on errors.
function M.compile(src, name)
  name = name or "template"
  local toks = tokenize(src, name)
  local root = { kind = "block", children = {} }
  local stack = { root }
  local cur = root.children
  for _, t in ipairs(toks) do
    if t.kind == "text" then
      if t.text ~= "" then cur[#cur + 1] = { kind = "text", text = t.text } end
    elseif t.body:match("^!") then
      -- comment
    elseif t.body:match("^#") then
      local kw, arg = t.body:match("^#(%a+)%s+(.-)$")
      if kw ~= "each" and kw ~= "if" and kw ~= "unless" then
        error(string.format("%s:%d: unknown block '{{%s}}' (each, if, unless)", name, t.line, t.body), 0)
      end
      local node = { kind = kw, expr = parse_expr(arg, name, t.line), children = {}, line = t.line }
      cur[#cur + 1] = node
      stack[#stack + 1] = node
      cur = node.children
    elseif t.body == "else" then
      local node = stack[#stack]
      if node.kind ~= "if" and node.kind ~= "unless" or node.else_children then
        error(string.format("%s:%d: '{{else}}' outside {{#if}}", name, t.line), 0)
      end
      node.else_children = {}
      cur = node.else_children
    elseif t.body:match("^/") then
      local kw = t.body:match("^/(%a+)$")
      local node = stack[#stack]
      if #stack == 1 or node.kind ~= kw then
        error(string.format("%s:%d: '{{%s}}' does not close an open block", name, t.line, t.body), 0)
      end
      stack[#stack] = nil
      local parent = stack[#stack]
      cur = parent.else_children or parent.children
      if parent.kind == "if" or parent.kind == "unless" then
        cur = parent.else_children or parent.children
      end
    else
      cur[#cur + 1] = { kind = "var", expr = parse_expr(t.body, name, t.line) }
    end
  end
  if #stack > 1 then
    local n = stack[#stack]
    error(string.format("%s:%d: '{{#%s}}' is never closed", name, n.line, n.kind), 0)
  end
  return root
end

local function lookup(scopes, path)
  if path == "." then return scopes[#scopes].item end
  if path:sub(1, 1) == "@" then
    for i = #scopes, 1, -1 do
      local v = scopes[i].meta and scopes[i].meta[path:sub(2)]
      if v ~= nil then return v end
    end
    return nil
  end
  local first = path:match("^[^.]+")
  local v
  for i = #scopes, 1, -1 do
    local item = scopes[i].item
    if type(item) == "table" and item[first] ~= nil then v = item[first]; break end
  end
  for seg in path:gmatch("%.([^.]+)") do
    if type(v) ~= "table" then return nil end
    local n = tonumber(seg)
    v = v[n or seg]
    if v == nil and n then v = nil end
  end
  return v
end

local function eval(e, scopes)
  local v = lookup(scopes, e.path)
  for _, f in ipairs(e.filters) do
    if f.default then
      if not truthy(v) then v = f.arg end
    elseif v ~= nil and v ~= json.null then
      v = f.fn(v, f.arg)
    end
  end
  return v
end

local function render_nodes(nodes, scopes, out)
  for _, n in ipairs(nodes) do
    if n.kind == "text" then
      out[#out + 1] = n.text
    elseif n.kind == "var" then
      local v = eval(n.expr, scopes)
      if v ~= nil and v ~= json.null then
        if type(v) == "table" then v = M.filters.join(v) end
        out[#out + 1] = tostring(v)
      end
    elseif n.kind == "if" or n.kind == "unless" then
      local t = truthy(eval(n.expr, scopes))
      if n.kind == "unless" then t = not t end
      if t then render_nodes(n.children, scopes, out)
      elseif n.else_children then render_nodes(n.else_children, scopes, out) end
    elseif n.kind == "each" then
      local list = eval(n.expr, scopes)
      if type(list) == "table" then
        for i, item in ipairs(list) do
          scopes[#scopes + 1] = { item = item, meta = { index = i, first = i == 1, last = i == #list } }
          render_nodes(n.children, scopes, out)
          scopes[#scopes] = nil
        end
      end
    end
  end
end

-- Render a compiled template with data.
function M.render(tree, data)
  local out = {}
  render_nodes(tree.children, { { item = data } }, out)
  return table.concat(out)
end

-- Compile and render in one go (raises on template errors).
function M.render_string(src, data, name)
  return M.render(M.compile(src, name), data)
end

return M
