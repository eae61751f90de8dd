-- wrk script for the Sciplo benchmark (bench/load.py runs it).
-- BENCH_PATHS holds one or more request paths separated by newlines; each thread's connections
-- take them in turn, so a case can rotate over several records. When the run ends, one line
-- "BENCH_JSON {...}" reports the counts and latency percentiles in microseconds.

local paths = {}
for path in string.gmatch(os.getenv("BENCH_PATHS") or "/", "[^\n]+") do
  paths[#paths + 1] = path
end
local next_path = 0

request = function()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max
  ))
end
