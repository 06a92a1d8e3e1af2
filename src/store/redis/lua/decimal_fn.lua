-- Cheap checks on decimal strings for the per-call scripts (gate_fn.lua, send_request.lua).
-- Whether decimal a > decimal b (whole non-negative numbers without leading zeros), without
-- converting them: Lua's tonumber costs more than the rest of the check.
local function later(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end

-- Whether the replay set is checked against its memory size on this call: on calls made in
-- a millisecond ending in 0 (now and then, without a number conversion).
local function trim_due(now)
  return string.byte(now, -1) == 48
end
