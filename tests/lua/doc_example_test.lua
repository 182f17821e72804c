-- doc/runbook-format.md shows examples/tcp-check.yaml "without its two opening comment
-- lines": keep that true.
local host = require "nrb.core.host"

local T = {}

function T.runbook_format_example_is_the_example_file()
  local root = host.roots()[1]
  local doc = assert(host.read_file(root .. "/doc/runbook-format.md"))
  local file = assert(host.read_file(root .. "/examples/tcp-check.yaml"))
  local block = doc:match("## A complete example.-```yaml\n(.-)```\n")
  assert(block, "no yaml block under '## A complete example'")
  local lines = {}
  for l in file:gmatch("([^\n]*)\n") do
    if not l:match("^#") then lines[#lines + 1] = l end
  end
  local want = table.concat(lines, "\n"):gsub("^\n+", ""):gsub("\n*$", "\n")
  if block ~= want then
    local i = 1
    while block:sub(i, i) == want:sub(i, i) do i = i + 1 end
    error(string.format("doc and file differ at byte %d:\ndoc:  %q\nfile: %q", i,
      block:sub(i, i + 60), want:sub(i, i + 60)))
  end
end

return T
