-- Records a recipient's final delivery state and releases the stream entry.
-- KEYS[1] request hash  KEYS[2] outbox stream
-- ARGV[1] group  ARGV[2] entry id  ARGV[3] recipient uid  ARGV[4] state  ARGV[5] detail
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'r:' .. ARGV[3], ARGV[4])
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'd:' .. ARGV[3], ARGV[5]) end
end
redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
return 1
