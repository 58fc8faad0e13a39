-- heao bench: what every wrk script of bench/ shares: reading the lists
-- that bench/run wrote, and one result line that bench/run parses.

local common = {}


-- the lines of a file, split at tabs
function common.lines(name)
    local rows = {}

    for line in io.lines(name) do
        local row = {}

        for field in string.gmatch(line, "[^\t]+") do
            row[#row + 1] = field
        end

        rows[#rows + 1] = row
    end

    assert(#rows > 0, "bench: " .. name .. " is empty")

    return rows
end


-- "result requests rps p50_ms p99_ms errors", errors counting sockets
-- and statuses of 400 and more
function common.done(summary, latency, requests)
    local e = summary.errors
    local errors = e.connect + e.read + e.write + e.timeout + e.status

    io.write(string.format("result %d %.1f %.2f %.2f %d\n",
                           summary.requests,
                           summary.requests / (summary.duration / 1e6),
                           latency:percentile(50) / 1000,
                           latency:percentile(99) / 1000, errors))
end


-- HEAO_BENCH_REQUESTS set: the thread stops after that many answers (a
-- profile counts instructions per request, the stability run a million)
local limit = tonumber(os.getenv("HEAO_BENCH_REQUESTS") or "")

if limit then
    local answers = 0

    function response(status, headers, body)
        answers = answers + 1
        if answers == limit then
            -- wrk's main thread waits out -d unless interrupted: the
            -- shell's parent is wrk, which prints its summary on SIGINT,
            -- sent once system() returned (it ignores SIGINT meanwhile)
            wrk.thread:stop()
            os.execute("(sleep 0.2; kill -INT $PPID) &")
        end
    end
end


return common
