-- Tests of the terminal progress display (nrb.cli.progress_printer): a line per step and,
-- under the per-hop statistics step, the hop table redrawn as it fills in and cleared when
-- the step ends.  The escape sequences are worked out by hand from the cursor's position:
-- after a redraw the cursor sits at the end of the table's last line.
local cli = require "nrb.cli"

local T = {}

local function eq(got, want, what)
  if got ~= want then
    error(string.format("%s:\n got: %q\nwant: %q", what, tostring(got), tostring(want)), 2)
  end
end

local function hop(ttl, address, sent, received, avg)
  return { ttl = ttl, address = address, sent = sent, received = received,
    loss_pct = 100 * (sent - received) / sent, last_ms = avg, avg_ms = avg }
end

function T.hop_table_redrawn_in_place()
  local out = {}
  local p = cli.progress_printer(function(s) out[#out + 1] = s end)
  p("begin", { title = "Per-hop statistics" }, 3, 4)
  eq(out[1], "\27[2K\r[3/4] Per-hop statistics ...", "step line")
  p("detail", { id = "mtr", kind = "hops", data = { round = 1, rounds = 10,
    hops = { hop(1, "192.0.2.1", 1, 1, 0.25), hop(2, nil, 1, 0) } } })
  -- first table: a new line under the step line, header + 2 hops, no trailing newline
  local first = out[2]
  eq(first:sub(1, 1), "\n", "table starts on a new line")
  local lines = {}
  for l in (first:sub(2) .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = l end
  eq(#lines, 3, "header and two hops")
  eq(lines[2], "    1. 192.0.2.1                                 0.0%    1     0.2     0.2", "hop 1 row")
  eq(lines[3], "    2. ???                                     100.0%    1       -       -", "silent hop row")
  for _, l in ipairs(lines) do
    if #l > 74 then error("line wider than 74 columns: " .. l) end
  end
  p("detail", { id = "mtr", kind = "hops", data = { round = 2, rounds = 10,
    hops = { hop(1, "192.0.2.1", 2, 2, 0.25), hop(2, nil, 2, 0), hop(3, "203.0.113.10", 2, 2, 1.5) } } })
  -- back up two lines to the table's first line, clear below, draw four lines
  eq(out[3], "\27[2A\r\27[J", "cursor back to the table's first line")
  local n = select(2, out[4]:gsub("\n", "")) + 1
  eq(n, 4, "header and three hops")
  p("end", { title = "Per-hop statistics", status = "ok", duration_ms = 10003 }, 3, 4)
  -- up four lines to the step line, clear it and the table, write the final line
  eq(out[5], "\27[4A\r\27[J", "table cleared")
  eq(out[6], "\27[2K\r[3/4] Per-hop statistics: ok (10003 ms)\n", "final step line")
end

function T.steps_without_detail_only_rewrite_their_line()
  local out = {}
  local p = cli.progress_printer(function(s) out[#out + 1] = s end)
  p("begin", { title = "Ping" }, 1, 2)
  p("detail", { id = "x", kind = "unknown", data = {} })
  p("end", { title = "Ping", status = "failed", duration_ms = 5 }, 1, 2)
  eq(#out, 2, "no output for an unknown detail kind")
  eq(out[2], "\27[2K\r[1/2] Ping: failed (5 ms)\n", "final line")
end

return T
