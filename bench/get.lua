-- heao bench: GET of the URL's path (the baselines, the static page)

package.path = os.getenv("HEAO_BENCH_LUA") .. "/?.lua;" .. package.path
local common = require "common"

done = common.done
