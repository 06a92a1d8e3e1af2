-- Gives up on a delivery: records it as dead on the request and in the dead-letter list.
-- KEYS[1] the record  KEYS[2] outbox stream  KEYS[3] dead-letter list  KEYS[4] its changes
-- ARGV[1] group  ARGV[2] entry id  ARGV[3] recipient uid  ARGV[4] last error
-- ARGV[5] dead-letter JSON  ARGV[6] most entries kept
record_change(KEYS[1], KEYS[4], {'r:' .. ARGV[3], 'dead', 'd:' .. ARGV[3], ARGV[4]})
redis.call('LPUSH', KEYS[3], ARGV[5])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[6]) - 1)
redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
return 1
