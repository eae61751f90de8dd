-- wrk script for the Sciplo benchmark (bench/load.py runs it).
-- BENCH_PATHS_FILE names a file of request paths, one a line (an environment variable is too
-- small for 20,000 of them); BENCH_THREADS is wrk's number of threads (-t). Thread i of T takes
-- paths i, i+T, i+2T, … in turn, so no two threads ask for the same path and none asks for one
-- twice until it has used up its share; from then on it starts its share again, and counts each
-- request it sends so. When the run ends, one line "BENCH_JSON {...}" reports the counts, the
-- requests repeated so, and the latency percentiles in microseconds.

local paths = {}
local file = assert(io.open(os.getenv("BENCH_PATHS_FILE") or "", "r"), "BENCH_PATHS_FILE")
for line in file:lines() do
  if line ~= "" then
    paths[#paths + 1] = line
  end
end
file:close()
assert(#paths > 0, "BENCH_PATHS_FILE holds no path")

-- In wrk's main Lua state: each thread is given its index and the thread count, and kept so that
-- done() can read its count of repeated requests.
local threads = {}

setup = function(thread)
  thread:set("thread_index", #threads)
  thread:set("thread_count", tonumber(os.getenv("BENCH_THREADS") or "1"))
  threads[#threads + 1] = thread
end

-- In each thread's own Lua state, where setup() set thread_index and thread_count.
local share = {}
local sent = 0
repeated = 0

init = function(args)
  for position = thread_index + 1, #paths, thread_count do
    share[#share + 1] = paths[position]
  end
  -- Fewer paths than threads: a thread without a share of its own repeats one of them.
  if #share == 0 then
    share[1] = paths[thread_index % #paths + 1]
  end
  -- wrk calls the first thread's request() once before it starts, to check what it returns,
  -- and sends nothing for it: that call takes the share's last path, so none is skipped.
  if thread_index == 0 then
    sent = -1
  end
end

request = function()
  sent = sent + 1
  if sent > #share then
    repeated = repeated + 1
  end
  return wrk.format("GET", share[(sent - 1) % #share + 1])
end

done = function(summary, latency, requests)
  local errors = summary.errors
  local repeats = 0
  for _, thread in ipairs(threads) do
    repeats = repeats + (thread:get("repeated") or 0)
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "repeated": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, repeats,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max
  ))
end
