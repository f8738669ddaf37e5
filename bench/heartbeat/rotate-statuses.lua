-- rotate.lua, plus a count of the answers by status. wrk calls response() for every answer,
-- which slows it down: the rates of a run with this script are a diagnosis, not a figure.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "rotate.lua")

statuses = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local print_summary = done
function done(summary, latency, requests)
  print_summary(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  io.write("WRK_STATUSES {" .. table.concat(parts, ",") .. "}\n")
end
