-- (d) Pages of 100 users at random offsets (an Okta import).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local users = tonumber(os.getenv("BENCH_USERS"))
function request()
  local start = 1 + 100 * math.random(0, math.floor(users / 100) - 1)
  return wrk.format("GET", string.format("%s/Users?startIndex=%d&count=100", os.getenv("BENCH_BASE"), start))
end
