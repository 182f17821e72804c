-- nrb.luapos: source positions for Lua runbooks, so `nrb check` says FILE:LINE:COL for them
-- as it does for YAML.
--
-- A Lua table keeps no trace of where it was written.  This module reads the runbook's
-- source with a small Lua tokenizer, finds the table constructors ({...}) and their fields,
-- and pairs them with the tables the chunk returned: the returned constructor with the
-- runbook table, a field's constructor with the table in that field, and so on down.  The
-- result is the same positions side table the YAML loader builds (pos[t] = {["@"] =
-- {line, col}, [key] = {line, col} of the key's value}), so the validator needs no
-- second code path.  Tables the source does not spell out as a constructor reachable from
-- the returned one (built by a function, in a loop) get no positions: their messages say
-- FILE only.  Locals holding a constructor (`local steps = {...}` ... `steps = steps`) are
-- followed.
--
-- It also places a syntax error's column: Lua says "LINE: ... near 'TOKEN'" and the token
-- can occur several times on that line; the one meant is the first whose inclusion makes
-- Lua's own parser fail on the source cut just after it.
local M = {}

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

-- Tokens of src: {t = "name"|"keyword"|"string"|"number"|"symbol", text, line, col,
-- s, e (byte offsets)}.  Comments and whitespace are dropped.  Returns nil on text the
-- tokenizer does not understand (the caller then has no positions).
function M.tokenize(src)
  local toks, i, line, bol = {}, 1, 1, 1 -- bol: byte offset where the line starts
  local n = #src
  local function newlines(a, b)
    for p in src:sub(a, b):gmatch("()\n") do line = line + 1; bol = a + p end
  end
  local function long_bracket(at)
    local eq = src:match("^%[(=*)%[", at)
    if not eq then return nil end
    local close = "]" .. eq .. "]"
    local _, stop = src:find(close, at + #eq + 2, true)
    return stop or n
  end
  if src:sub(1, 1) == "#" then i = (src:find("\n", 1, true) or n + 1) end -- shebang line
  while i <= n do
    local c = src:sub(i, i)
    if c == "\n" then
      line = line + 1; i = i + 1; bol = i
    elseif c:match("%s") then
      i = i + 1
    elseif src:sub(i, i + 1) == "--" then
      local stop = long_bracket(i + 2)
      if stop then newlines(i, stop); i = stop + 1
      else i = (src:find("\n", i, true) or n + 1) end
    else
      local tok = { line = line, col = i - bol + 1, s = i }
      local stop
      if c:match("[%a_]") then
        stop = select(2, src:find("^[%w_]+", i))
        tok.text = src:sub(i, stop)
        tok.t = KEYWORDS[tok.text] and "keyword" or "name"
      elseif c:match("%d") or (c == "." and src:sub(i + 1, i + 1):match("%d")) then
        stop = select(2, src:find("^0[xX][%x%.]*[pP][%+%-]?%d+", i)) or select(2, src:find("^0[xX][%x%.]*", i))
          or select(2, src:find("^[%d%.]*[eE][%+%-]?%d+", i)) or select(2, src:find("^[%d%.]+", i))
        tok.t = "number"
      elseif c == "'" or c == '"' then
        local p = i + 1
        while p <= n do
          local ch = src:sub(p, p)
          if ch == "\\" then
            if src:sub(p + 1, p + 1) == "z" then
              p = select(2, src:find("^%s*", p + 2)) + 1
            else
              p = p + 2
            end
          elseif ch == c then break
          elseif ch == "\n" then return nil
          else p = p + 1 end
        end
        stop = p
        newlines(i, stop)
        tok.t = "string"
      elseif c == "[" and long_bracket(i) then
        stop = long_bracket(i)
        newlines(i, stop)
        tok.t = "string"
      else
        for _, sym in ipairs({ "...", "..", "==", "~=", "<=", ">=", "<<", ">>", "//", "::" }) do
          if src:sub(i, i + #sym - 1) == sym then stop = i + #sym - 1; break end
        end
        stop = stop or i
        tok.t = "symbol"
      end
      tok.e = stop
      tok.text = tok.text or src:sub(i, stop)
      toks[#toks + 1] = tok
      i = stop + 1
    end
  end
  return toks
end

-- The value of a string or number token as a table key, or nil.
local function key_of(tok)
  if tok.t == "number" then return math.tointeger(tonumber(tok.text)) or tonumber(tok.text) end
  if tok.t == "string" and (tok.text:sub(1, 1) == '"' or tok.text:sub(1, 1) == "'") then
    local ok, v = pcall(load("return " .. tok.text, "=key", "t", {}))
    if ok and type(v) == "string" then return v end
  end
  return nil
end

-- Constructors of toks: for each '{', a node {line, col, fields = {{key, tok, node}}} in
-- the order written (positional items get keys 1, 2, ...), plus the top-level locals
-- and assignments that hold a constructor (name -> node) and the returned expression's
-- first token.  A field's node is set when its value is exactly a constructor, or a name
-- (resolved later against the locals).
local function constructors(toks)
  local stack = {}       -- frames: {kind = "{"|"("|"["|"block", node = ...}
  local locals, ret = {}, nil
  local nodes = {}
  local expect_do = 0    -- `while`/`for` headers whose `do` opens no new block
  local function top() return stack[#stack] end
  -- start a field of constructor frame f at token index k
  local function field_at(f, k)
    local tk, nx = toks[k], toks[k + 1]
    if not tk or tk.text == "}" then return end
    local key, vk
    if tk.t == "name" and nx and nx.text == "=" then
      key, vk = tk.text, k + 2
    elseif tk.text == "[" then
      -- [expr] = value: only a constant key is known
      local close = toks[k + 2]
      if close and close.text == "]" and toks[k + 3] and toks[k + 3].text == "=" then
        key, vk = key_of(toks[k + 1]), k + 4
      else
        return -- a computed key: the field has no known name
      end
    else
      f.n = f.n + 1
      key, vk = f.n, k
    end
    local vt = toks[vk]
    if key ~= nil and vt then
      local after = nil
      local fld = { key = key, tok = vt }
      if vt.t == "name" then
        after = toks[vk + 1]
        if after and (after.text == "," or after.text == ";" or after.text == "}") then fld.name = vt.text end
      end
      f.node.fields[#f.node.fields + 1] = fld
      f.pending = vt.text == "{" and fld or nil
    end
  end
  for k, tk in ipairs(toks) do
    local f = top()
    local txt = tk.text
    if tk.t == "symbol" and txt == "{" then
      local node = { line = tk.line, col = tk.col, fields = {} }
      nodes[#nodes + 1] = node
      if f and f.kind == "{" and f.pending and f.pending.tok == tk then f.pending.node = node end
      if not f and toks[k - 1] and toks[k - 1].text == "=" then
        -- top level `local name = {` / `name = {`
        local nm = toks[k - 2]
        if nm and nm.t == "name" then locals[nm.text] = node end
      end
      if not f and toks[k - 1] and toks[k - 1].text == "return" then ret = node end
      stack[#stack + 1] = { kind = "{", node = node, n = 0 }
      field_at(top(), k + 1)
    elseif tk.t == "symbol" and (txt == "(" or txt == "[") then
      stack[#stack + 1] = { kind = txt }
    elseif tk.t == "symbol" and (txt == "}" or txt == ")" or txt == "]") then
      if not f or f.kind ~= (txt == "}" and "{" or txt == ")" and "(" or "[") then return nil end
      stack[#stack] = nil
    elseif tk.t == "symbol" and (txt == "," or txt == ";") and f and f.kind == "{" then
      field_at(f, k + 1)
    elseif tk.t == "keyword" then
      if txt == "function" or txt == "if" or txt == "repeat" then
        stack[#stack + 1] = { kind = "block" }
      elseif txt == "while" or txt == "for" then
        stack[#stack + 1] = { kind = "block" }
        expect_do = expect_do + 1
      elseif txt == "do" then
        if expect_do > 0 then expect_do = expect_do - 1 else stack[#stack + 1] = { kind = "block" } end
      elseif txt == "end" or txt == "until" then
        if not f or f.kind ~= "block" then return nil end
        stack[#stack] = nil
      elseif txt == "return" and not f then
        local nx = toks[k + 1]
        if nx and nx.t == "name" then ret = nx.text end
      end
    end
  end
  if #stack > 0 then return nil end
  if type(ret) == "string" then ret = locals[ret] end
  return ret, locals
end

-- Positions side table for value (what the chunk at src returned), or nil.
function M.positions(src, value)
  if type(value) ~= "table" or type(src) ~= "string" then return nil end
  local toks = M.tokenize(src)
  if not toks then return nil end
  local root, locals = constructors(toks)
  if not root then return nil end
  local pos = {}
  local function walk(t, node, depth)
    if pos[t] or depth > 64 then return end
    local p = { ["@"] = { node.line, node.col } }
    pos[t] = p
    for _, fld in ipairs(node.fields) do
      p[fld.key] = { fld.tok.line, fld.tok.col }
      local v = rawget(t, fld.key)
      local child = fld.node or (fld.name and locals[fld.name])
      if type(v) == "table" and child then walk(v, child, depth + 1) end
    end
  end
  walk(value, root, 1)
  return pos
end

-- Column of a syntax error "near 'tok'" on line (1-based), found with Lua's parser on cut
-- copies of src; nil when it cannot be told.
function M.error_column(src, line, near)
  if near == "<eof>" then
    local n, last = 0, ""
    for l in (src .. "\n"):gmatch("(.-)\n") do n = n + 1; if n == line then last = l end end
    return #last + 1
  end
  local toks = M.tokenize(src)
  if not toks then return nil end
  for _, tk in ipairs(toks) do
    local _, nl = tk.text:gsub("\n", "")
    if tk.text == near and tk.line + nl == line then
      -- the source up to and including this token: does Lua stop at it?
      local _, err = load(src:sub(1, tk.e), "=cut", "t")
      if err and not err:find("near <eof>", 1, true) then return tk.col end
    end
  end
  return nil
end

return M
