-- Creates (or replaces) a session.
-- KEYS[1] session hash
-- ARGV[1] api_key  ARGV[2] uid  ARGV[3] expires at (ms)  ARGV[4] ttl (ms)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'api', ARGV[1], 'uid', ARGV[2], 'exp', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
