-- wrk script for bench/load.py: a realistic mix of GET requests, read from a file.
--
-- The file (ATLAS_PATHS, one "category path" per line) repeats paths in proportion
-- to how often visitors ask for them; each request picks a line at random. Every
-- request carries the header a TLS proxy would set, so production settings serve it
-- instead of redirecting to HTTPS. At the end one JSON line reports latency
-- percentiles and status counts per class, for load.py to parse.

local paths_file = os.getenv("ATLAS_PATHS") or "bench/results/paths.txt"
local host = os.getenv("ATLAS_HOST") or "127.0.0.1"
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(paths_file) do
    local path = line:match("^%S+%s+(%S+)$")
    if path then
      table.insert(paths, path)
    end
  end
  if #paths == 0 then
    error("no paths in " .. paths_file)
  end
  math.randomseed(id * 7919 + os.time())
  s2xx, s3xx, s4xx, s5xx = 0, 0, 0, 0
  headers = { ["Host"] = host, ["X-Forwarded-Proto"] = "https", ["Accept-Encoding"] = "gzip" }
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end

function response(status, headers, body)
  if status >= 500 then
    s5xx = s5xx + 1
  elseif status >= 400 then
    s4xx = s4xx + 1
  elseif status >= 300 then
    s3xx = s3xx + 1
  else
    s2xx = s2xx + 1
  end
end

function done(summary, latency, requests)
  local c = { s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(c) do
      c[key] = c[key] + (thread:get(key) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    '\nATLAS_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"p50_ms": %.2f, "p90_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, '
      .. '"mean_ms": %.2f, '
      .. '"status_2xx": %d, "status_3xx": %d, "status_4xx": %d, "status_5xx": %d, '
      .. '"err_connect": %d, "err_read": %d, "err_write": %d, "err_timeout": %d, "err_status": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    c.s2xx, c.s3xx, c.s4xx, c.s5xx,
    e.connect, e.read, e.write, e.timeout, e.status
  ))
end
