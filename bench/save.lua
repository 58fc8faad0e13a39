-- heao bench: F12-F16 save, each request a candidate that never saved,
-- in a fill session made ready by bench/run, with a save_id of its own

package.path = os.getenv("HEAO_BENCH_LUA") .. "/?.lua;" .. package.path
local common = require "common"

local work = os.getenv("HEAO_BENCH_WORK")
local s = common.lines(work .. "/save.txt")
local app = io.open(work .. "/application.json"):read("*l")
local run = os.getenv("HEAO_BENCH_RUN")
-- past the ones an earlier run of the same list used (bench/run callgrind)
local i = tonumber(os.getenv("HEAO_BENCH_SKIP") or "0")

done = common.done

function request()
    i = i + 1
    -- past the list a candidate would save twice within 60 minutes:
    -- bench/run makes the list longer than the run can use
    local r = s[(i - 1) % #s + 1]
    local body = string.format('{"save_id":"%s-%012d","application":%s}',
                               run, i, app)

    return wrk.format("POST", "/api/fill/11/save",
                      { ["Cookie"] = "heao_sid=" .. r[1],
                        ["X-CSRF-Token"] = r[2],
                        ["Content-Type"] = "application/json" }, body)
end
