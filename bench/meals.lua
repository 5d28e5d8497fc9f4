-- wrk script: every request logs a meal for a different diner/date/slot, with its own
-- Idempotency-Key, like a lunch-time counter. Set DINERS and TOKEN in the environment.
local threads = {}
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
end

local diners = tonumber(os.getenv("DINERS") or "50000")
-- DINER_BASE: the meals go to diners DINER_BASE + 1 … DINER_BASE + DINERS.
local diner_base = tonumber(os.getenv("DINER_BASE") or "0")
-- DELAY_MS: each connection waits this long before each request (a rate below the peak).
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
if delay_ms > 0 then
  delay = function() return delay_ms end
end
-- OFFSET: where this run's diner/date/slot cells start, so a second run never repeats the first's.
local offset = tonumber(os.getenv("OFFSET") or "0")
-- THREADS: wrk's -t, so that the threads' cells interleave without gaps or overlaps.
local threads_count = tonumber(os.getenv("THREADS") or "2")
local token = os.getenv("TOKEN") or ""
-- MONTH: the month the meals are served in (YYYY-MM; bench/policy.sh picks the policy in force by it).
local month = os.getenv("MONTH") or "2026-10"
local slots = {"breakfast", "lunch", "dinner"}

request = function()
  local i = offset + counter * threads_count + thread_id
  counter = counter + 1
  local diner = diner_base + (i % diners) + 1
  local slot = slots[(math.floor(i / diners) % 3) + 1]
  local day = math.floor(i / (diners * 3)) % 28 + 1
  local body = string.format('{"site_code":"BENCH","diner_id":%d,"slot":"%s","price_fen":1000,"served_on":"%s-%02d"}', diner, slot, month, day)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = string.format("w%d-%d-%d", offset, thread_id, counter),
  }
  return wrk.format("POST", "/v1/meals", headers, body)
end

-- No `response` callback: wrk counts every answer above 399 in summary.errors.status by itself,
-- and a callback would have it copy each response's headers and body into Lua (client CPU that
-- the two cores would take from the server under test).
done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"seconds\": %.3f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"errors\": %d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
