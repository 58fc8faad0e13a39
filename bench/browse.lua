-- heao bench: V1 browse, logged-in sessions in turn, each with a saved
-- application

package.path = os.getenv("HEAO_BENCH_LUA") .. "/?.lua;" .. package.path
local common = require "common"

local s = common.lines(os.getenv("HEAO_BENCH_WORK") .. "/browse.txt")
local i = 0

done = common.done

function request()
    i = i % #s + 1
    return wrk.format("GET", "/api/browse",
                      { ["Cookie"] = "heao_sid=" .. s[i][1] })
end
