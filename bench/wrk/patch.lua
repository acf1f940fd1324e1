-- (c) Leavers: PATCH active=false over the loaded users (thread t takes ids t, t+T, t+2T, …).
-- A run that outlasts the list goes round again setting active=true (a rehire), then false
-- again, so every request is a real change with its lifecycle work: a repeat of the same
-- value would be a no-op, which a fast server could otherwise count by the thousand.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local ids = {}
local n = 0
local threads = tonumber(os.getenv("BENCH_THREADS"))
function on_init(args)
  for line in io.lines(os.getenv("BENCH_IDS")) do table.insert(ids, line) end
end
local function body(active)
  return '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":' .. tostring(active) .. '}}]}'
end
local leave, rehire = body(false), body(true)
function request()
  local k = n * threads + tid - 1
  n = n + 1
  local round = math.floor(k / #ids)
  return wrk.format("PATCH", os.getenv("BENCH_BASE") .. "/Users/" .. ids[(k % #ids) + 1], nil,
    round % 2 == 0 and leave or rehire)
end
