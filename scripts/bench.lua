-- wrk script for scripts/bench. FBB_BODIES names a file of pre-signed form bodies (one per
-- line), each to be sent once: thread t of FBB_THREADS sends bodies t, t + FBB_THREADS, ...
-- (a body sent twice would be refused as a replay). Without FBB_BODIES it GETs the URL.
-- Counts legacy error bodies as errors too (the API answers errors with HTTP 200).
--
-- Bodies are read from the file as they are sent, never held in a Lua table: with the
-- run's 300,000+ bodies in the heap, every garbage collection wrk's LuaJIT made (each
-- response() leaves its body behind) marked all of them, and the client stalled for tens
-- of milliseconds, which the bench then reported as the gateway's p99.
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

local file, stride, bodies, warned

local function open_bodies()
  bodies = assert(io.open(file, "r"))
  for _ = 1, offset do bodies:read("*l") end
end

function init(args)
  errors = 0
  file = os.getenv("FBB_BODIES")
  if file and file ~= "" then
    stride = tonumber(os.getenv("FBB_THREADS") or "1")
    open_bodies()
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

function request()
  if not bodies then
    return wrk.format(nil, nil)
  end
  local body = bodies:read("*l")
  if not body then
    if not warned then
      warned = true
      io.stderr:write("ran out of distinct bodies: raise VARIANTS in scripts/bench\n")
    end
    bodies:close()
    open_bodies()
    body = bodies:read("*l")
  end
  for _ = 2, stride do bodies:read("*l") end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 200 or string.sub(body, 1, 13) == '{"error_code"' then
    errors = errors + 1
    if errors == 1 then io.stderr:write("first error: " .. status .. " " .. string.sub(body, 1, 200) .. "\n") end
  end
end

function done(summary, latency, requests)
  local e = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  io.write(string.format("RESULT %.0f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, e, summary.requests))
end
