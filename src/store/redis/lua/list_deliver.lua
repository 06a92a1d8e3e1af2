-- Puts one item into a per-user list (sandbox inbox or feed, mixi notices or activities),
-- once per (sender, record).
-- KEYS[1] the list  KEYS[2] its seen sorted set
-- ARGV[1] "from:id"  ARGV[2] item JSON  ARGV[3] max items  ARGV[4] ttl (s)  ARGV[5] now (ms)
-- The seen set keeps twice as many members as the list keeps items: a redelivery comes
-- within moments of its first delivery, long before its member could be dropped.
if redis.call('ZADD', KEYS[2], 'NX', ARGV[5], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[1], ARGV[2])
  redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(2 * tonumber(ARGV[3])) - 1)
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
