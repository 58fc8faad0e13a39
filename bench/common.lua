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


return common
