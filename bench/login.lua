-- heao bench: A1 login (captcha off in the bench conf), bench candidates
-- hashed at the module's cost in turn

package.path = os.getenv("HEAO_BENCH_LUA") .. "/?.lua;" .. package.path
local common = require "common"

local c = common.lines(os.getenv("HEAO_BENCH_WORK") .. "/logins.txt")
local i = 0

done = common.done

function request()
    i = i % #c + 1
    return wrk.format("POST", "/api/login",
                      { ["Content-Type"] = "application/json" },
                      string.format('{"exam_no":"%s","id_no":"%s",'
                                    .. '"password":"Bench@2021"}',
                                    c[i][1], c[i][2]))
end
