-- Moves an in-flight delivery to the delayed set, to be tried again at `due`.
-- KEYS[1] outbox stream  KEYS[2] delayed set  KEYS[3] the record  KEYS[4] its changes
-- ARGV[1] group  ARGV[2] entry id  ARGV[3] due (ms)  ARGV[4] member (JSON of the delivery)
-- ARGV[5] recipient uid  ARGV[6] why it waits
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
record_change(KEYS[3], KEYS[4], {'d:' .. ARGV[5], ARGV[6]})
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
