-- heao bench: F2 catalog lookup, institution codes of batch 11 in turn

package.path = os.getenv("HEAO_BENCH_LUA") .. "/?.lua;" .. package.path
local common = require "common"

local codes = common.lines(os.getenv("HEAO_BENCH_WORK") .. "/codes.txt")
local i = 0

done = common.done

function request()
    i = i % #codes + 1
    return wrk.format("GET", "/api/catalog/11/" .. codes[i][1])
end
