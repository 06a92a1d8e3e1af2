-- wrk script for scripts/bench. FBB_BODIES names a file of pre-signed form bodies (one per
-- line), each to be sent once: thread t of FBB_THREADS sends bodies t, t + FBB_THREADS, ...
-- (a body sent twice would be refused as a replay). Without FBB_BODIES it GETs the URL.
-- Counts legacy error bodies as errors too (the API answers errors with HTTP 200).
local threads = {}
local bodies = {}

function setup(thread)
  local file = os.getenv("FBB_BODIES")
  if file and file ~= "" and #bodies == 0 then
    for line in io.lines(file) do bodies[#bodies + 1] = line end
  end
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  errors = 0
  n = 0
  list = {}
  local file = os.getenv("FBB_BODIES")
  if file and file ~= "" then
    for line in io.lines(file) do list[#list + 1] = line end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

function request()
  if #list == 0 then
    return wrk.format(nil, nil)
  end
  local stride = tonumber(os.getenv("FBB_THREADS") or "1")
  local i = n * stride + offset
  n = n + 1
  if i >= #list and not warned then
    warned = true
    io.stderr:write("ran out of distinct bodies: raise VARIANTS in scripts/bench\n")
  end
  return wrk.format(nil, nil, nil, list[i % #list + 1])
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
