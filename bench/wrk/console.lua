-- The console's pages as a signed-in browser asks for them: the session cookie, one path.
local threads = {}
function init(args)
  wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
  wrk.headers["Accept"] = "text/html"
end
function request()
  return wrk.format("GET", os.getenv("BENCH_PATH"))
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
