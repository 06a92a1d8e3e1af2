-- mixi: a recipient of a request mixi holds launched the app. Once every recipient mixi
-- delivered it to has, the request can no longer be accepted: its deletion is queued.
-- KEYS[1] the record  KEYS[2] the partition's expiring set  KEYS[3] the partition's outbox
-- KEYS[4] the record's changes
-- ARGV[1] api_key  ARGV[2] from  ARGV[3] id  ARGV[4] recipient  ARGV[5] wake-up channel
-- Returns {"QUEUED"} | {"WAITING"} | {"DONE"}
local r = record_get(KEYS[1], KEYS[4], {'r:' .. ARGV[2]})
if not r or r[4] ~= 'pending' then return {'DONE'} end
record_change(KEYS[1], KEYS[4], {'l:' .. ARGV[4], '1'})
for uid in string.gmatch(r[3] or '', '[^,]+') do
  local f = redis.call('HMGET', KEYS[4], 'r:' .. uid, 'l:' .. uid)
  if f[1] == 'delivered' and not f[2] then return {'WAITING'} end
end
record_change(KEYS[1], KEYS[4], {'r:' .. ARGV[2], 'queued'})
redis.call('ZREM', KEYS[2], ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3])
redis.call('XADD', KEYS[3], '*', 'd', ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[2] .. ' 0')
redis.call('PUBLISH', ARGV[5], KEYS[3])
return {'QUEUED'}
