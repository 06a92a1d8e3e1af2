-- mixi: remembers, in the recipient's partition, a request mixi holds for them.
-- KEYS[1] the recipient's held-requests hash
-- ARGV[1] "from:id"  ARGV[2] until (ms)  ARGV[3] ttl (s)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
