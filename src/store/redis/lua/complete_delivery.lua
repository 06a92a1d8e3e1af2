-- Records a recipient's final delivery state and releases the stream entry.
-- KEYS[1] the record  KEYS[2] outbox stream  KEYS[3] the record's changes
-- ARGV[1] group  ARGV[2] entry id  ARGV[3] recipient uid  ARGV[4] state  ARGV[5] detail
local fields = {'r:' .. ARGV[3], ARGV[4]}
if ARGV[5] ~= '' then
  fields[3] = 'd:' .. ARGV[3]
  fields[4] = ARGV[5]
end
record_change(KEYS[1], KEYS[3], fields)
redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
return 1
