-- wrk: heartbeats in rotation over <count> registered users named <prefix>0 .. <prefix><count-1>,
-- so that the server looks up and moves a different entry each time, not the same one.
-- Usage: wrk ... -s rotate.lua <url> -- <prefix> <count>
local bodies = {}
local n = 0
local i = 0

function init(args)
  local prefix = args[1] or "hb-"
  n = tonumber(args[2] or "1000")
  for k = 0, n - 1 do
    bodies[k] = string.format('{"username":"%s%d"}', prefix, k)
  end
  -- Threads start at different places so they do not walk the same names in step.
  i = math.random(0, n - 1)
end

function request()
  i = (i + 1) % n
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, bodies[i])
end

-- One JSON line the bench parses: counts, status errors (>= 400), latency in microseconds.
function done(summary, latency, requests)
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
      '"write_errors":%d,"timeouts":%d,"status_errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
      '"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
