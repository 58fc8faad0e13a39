-- heao bench: F17 dry-run check of a full 本科一批 application (6 slots of
-- 5 majors, valid), logged-in sessions in turn

package.path = os.getenv("HEAO_BENCH_LUA") .. "/?.lua;" .. package.path
local common = require "common"

local work = os.getenv("HEAO_BENCH_WORK")
local s = common.lines(work .. "/browse.txt")
local app = io.open(work .. "/application.json"):read("*l")
local body = '{"application":' .. app .. '}'
local i = 0

done = common.done

function request()
    i = i % #s + 1
    return wrk.format("POST", "/api/fill/11/check",
                      { ["Cookie"] = "heao_sid=" .. s[i][1],
                        ["X-CSRF-Token"] = s[i][2],
                        ["Content-Type"] = "application/json" }, body)
end
