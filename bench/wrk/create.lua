-- (a) Create users, each with a new userName (Okta's initial push).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local n = 0
local prefix = os.getenv("BENCH_PREFIX") or "c"
function request()
  n = n + 1
  local body = string.format(
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s%d-%d@bench.example","name":{"givenName":"Bench","familyName":"User"},"title":"Front Desk","active":true}',
    prefix, tid, n)
  return wrk.format("POST", os.getenv("BENCH_BASE") .. "/Users", nil, body)
end
