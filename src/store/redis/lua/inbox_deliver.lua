-- Puts one item into a sandbox inbox, once per (request, recipient).
-- KEYS[1] inbox list  KEYS[2] seen set
-- ARGV[1] "from:id"  ARGV[2] item JSON  ARGV[3] max items  ARGV[4] ttl (s)
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[1], ARGV[2])
  redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
