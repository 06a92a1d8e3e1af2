-- Creates (or replaces) a session, and gives its replay set (the signatures of its calls
-- without call_id) the session's life, so that the calls themselves never need to.
-- KEYS[1] session hash  KEYS[2] its replay set
-- ARGV[1] api_key  ARGV[2] uid  ARGV[3] expires at (ms)  ARGV[4] ttl (ms)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'api', ARGV[1], 'uid', ARGV[2], 'exp', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
-- A placeholder member (no signature is empty) keeps the set, and so its expiry, in being.
redis.call('ZADD', KEYS[2], 'NX', 0, '')
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
