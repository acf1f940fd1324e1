-- Shared by the workload scripts: auth header, per-thread ids, and a JSON summary line that
-- bench/run.py parses (requests/s, p50/p99 in ms, status errors).
local threads = {}
local tid = 0

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
  wrk.headers["Content-Type"] = "application/scim+json"
  math.randomseed(os.time() + (tid or 0) * 7919)
  if on_init then on_init(args) end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "status_errors": %d, "socket_errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
