-- Floor: POST a small JSON document to a bare echo endpoint.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
function request()
  return wrk.format("POST", os.getenv("BENCH_BASE") .. "/echo", nil, '{"userName":"floor@bench.example","active":true}')
end
