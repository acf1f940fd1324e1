-- (c) Leavers: PATCH active=false, each loaded user once (then again, as no-ops, if the run
-- outlasts the list).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local ids = {}
local n = 0
function on_init(args)
  for line in io.lines(os.getenv("BENCH_IDS")) do table.insert(ids, line) end
end
local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}'
function request()
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  local i = ((n * threads + tid - 1) % #ids) + 1
  n = n + 1
  return wrk.format("PATCH", os.getenv("BENCH_BASE") .. "/Users/" .. ids[i], nil, body)
end
