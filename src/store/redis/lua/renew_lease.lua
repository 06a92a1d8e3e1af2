-- Renews a worker's lease on one in-flight delivery, if it still holds it: resets the
-- entry's idle time so that no other worker reclaims it while it is being sent.
-- KEYS[1] outbox stream
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] entry id
-- Returns 1 when renewed, 0 when the entry is gone or another consumer holds it.
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #pending == 0 or pending[1][2] ~= ARGV[2] then
  return 0
end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1
