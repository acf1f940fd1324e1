-- (b) Look a person up by userName (Okta/Entra joiner matching), over the loaded users.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local users = tonumber(os.getenv("BENCH_USERS"))
function request()
  local i = math.random(0, users - 1)
  local path = string.format('%s/Users?filter=userName%%20eq%%20%%22u%07d%%40bench.example%%22', os.getenv("BENCH_BASE"), i)
  return wrk.format("GET", path)
end
