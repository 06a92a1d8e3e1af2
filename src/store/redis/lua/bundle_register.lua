-- Stores an app's template bundle, unless the app has as many as it may keep.
-- KEYS[1] the app's bundles hash
-- ARGV[1] bundle id  ARGV[2] bundle JSON  ARGV[3] most bundles kept
-- Returns 1 when stored, 0 when the app has its limit already.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
