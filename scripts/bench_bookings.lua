-- wrk script: POST /api/v1/coocook/bookings where every request books a slot nobody holds.
--
--   TOKENS=<file of bearer tokens, one a line> CHEF_IDS=<file of active chef ids, one a line> [THREADS=2] \
--     wrk -t2 -c50 -d5s --latency -s scripts/bench_bookings.lua http://127.0.0.1:8000
--
-- THREADS must equal wrk's -t (it interleaves the threads' sequences). Request k (over all threads) books triple k of (chef, day, slot), chefs from CHEF_IDS, days
-- DAY_FROM..DAY_TO after today (UTC; default 61..364: after the seeded bookings, which end at
-- today+60, and before the load tests' range, which starts at today+365), scattered by a
-- multiplier coprime to the space so consecutive requests hit different chefs. Every request is
-- therefore a legitimate 201: any 409 or other non-2xx is a real error.
--
-- Runs on the same database continue where the last stopped: the next free k is kept in
-- BENCH_STATE (default /tmp/bench_bookings.state; delete it after a reseed, or set START=0).
-- Space: ids x days x 2 (about 6 million on SCALE=large).

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local STRIDE = tonumber(os.getenv("THREADS") or "2") -- k = start + n * STRIDE + tid
local STATE = os.getenv("BENCH_STATE") or "/tmp/bench_bookings.state"

local function read_start(path)
  local env = os.getenv("START")
  if env then return tonumber(env) end
  local f = io.open(path, "r")
  if not f then return 0 end
  local v = tonumber(f:read("*l") or "0") or 0
  f:close()
  return v
end

local function gcd(a, b)
  while b ~= 0 do a, b = b, a % b end
  return a
end

function init(args)
  assert(tid < STRIDE, "THREADS must be at least wrk's -t")
  -- Many users, one per request in turn: one account booking thousands of slots would measure the
  -- per-user rules (pending cap, its own growing index range) instead of the write path.
  tokens = {}
  for line in io.lines(os.getenv("TOKENS") or error("set TOKENS to a file of bearer tokens")) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  assert(#tokens > 0, "no tokens")
  local path = os.getenv("CHEF_IDS") or error("set CHEF_IDS to a file of active chef ids")
  ids = {}
  for line in io.lines(path) do
    local id = tonumber(line)
    if id then ids[#ids + 1] = id end
  end
  assert(#ids > 0, "no chef ids in " .. path)
  table.sort(ids) -- the same chefs in any order map k to the same triple (BENCH_STATE relies on it)
  day_from = tonumber(os.getenv("DAY_FROM") or "61")
  days = tonumber(os.getenv("DAY_TO") or "364") - day_from + 1
  space = #ids * days * 2
  mul = math.floor(space * 0.6180339887) -- golden-ratio stride, nudged until coprime with the space
  while gcd(mul, space) ~= 1 do mul = mul + 1 end
  start = read_start(STATE)
  local now = os.time()
  midnight = now - now % 86400 -- today 00:00 UTC
  n = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local k = (start + n * STRIDE + tid) % space
  n = n + 1
  local code = (k * mul) % space -- both factors < 2^26 on any sane space: exact in a double
  local chef = ids[math.floor(code / (days * 2)) + 1]
  local rest = code % (days * 2)
  local day = day_from + math.floor(rest / 2)
  local slot = (rest % 2 == 0) and "lunch" or "dinner"
  local date = os.date("!%Y-%m-%d", midnight + day * 86400)
  local body = string.format('{"chef_id": %d, "date": "%s", "slot": "%s", "guests": 2}', chef, date, slot)
  -- wrk.format with a headers table sends those headers only (not wrk.headers): name them all.
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[(k % #tokens) + 1]}
  return wrk.format(nil, "/api/v1/coocook/bookings", headers, body)
end

function done(summary, latency, requests)
  local used = 0
  for _, thread in ipairs(threads) do
    used = math.max(used, thread:get("n") or 0)
  end
  local next_start = read_start(STATE) + (used + 1) * STRIDE -- past anything in flight when wrk stopped
  local f = io.open(STATE, "w")
  if f then
    f:write(string.format("%d\n", next_start))
    f:close()
  end
end
