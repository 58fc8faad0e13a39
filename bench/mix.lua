-- heao bench: the stability run, one million requests that rotate over
-- catalog lookups (memory), browses (Redis), dry-run checks (the rules)
-- and save histories (a PostgreSQL statement each, V4), logged-in
-- sessions in turn

package.path = os.getenv("HEAO_BENCH_LUA") .. "/?.lua;" .. package.path
local common = require "common"

local work = os.getenv("HEAO_BENCH_WORK")
local s = common.lines(work .. "/browse.txt")
local codes = common.lines(work .. "/codes.txt")
local app = io.open(work .. "/application.json"):read("*l")
local body = '{"application":' .. app .. '}'
local i = 0

done = common.done

function request()
    i = i + 1
    local r = s[i % #s + 1]
    local k = i % 4

    if k == 0 then
        return wrk.format("GET", "/api/catalog/11/" .. codes[i % #codes + 1][1])

    elseif k == 1 then
        return wrk.format("GET", "/api/browse",
                          { ["Cookie"] = "heao_sid=" .. r[1] })

    elseif k == 2 then
        return wrk.format("POST", "/api/fill/11/check",
                          { ["Cookie"] = "heao_sid=" .. r[1],
                            ["X-CSRF-Token"] = r[2],
                            ["Content-Type"] = "application/json" }, body)
    end

    return wrk.format("GET", "/api/history",
                      { ["Cookie"] = "heao_sid=" .. r[1] })
end
