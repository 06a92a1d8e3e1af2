-- Expires a pending request whose confirmation page outlived its life: its quota is given
-- back and its recipients are dropped. Run by the delivery workers' sweeper; at most one
-- settlement (this or the sender's) ever wins.
-- A request mixi still holds past its clean-up time has its deletion queued instead.
-- KEYS[1] the record  KEYS[2] quota counter of its day  KEYS[3] the partition's expiring set
-- KEYS[4] the partition's outbox stream  KEYS[5] the record's changes
-- ARGV[1] now (ms)  ARGV[2] expiring-set member  ARGV[3] detail  ARGV[4] api_key
-- ARGV[5] from  ARGV[6] id  ARGV[7] wake-up channel
-- Returns {"OK", refunded} | {"MISSING"} | {"DONE", status} | {"NOTYET"} | {"CLEANUP"}
local r = record_get(KEYS[1], KEYS[5], {'r:' .. ARGV[5]})
if not r then
  redis.call('ZREM', KEYS[3], ARGV[2])
  return {'MISSING'}
end
if r[1] ~= 'pending' then
  redis.call('ZREM', KEYS[3], ARGV[2])
  if r[4] == 'pending' then
    record_change(KEYS[1], KEYS[5], {'r:' .. ARGV[5], 'queued'})
    redis.call('XADD', KEYS[4], '*', 'd', ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. ARGV[6] .. ' ' .. ARGV[5] .. ' 0')
    redis.call('PUBLISH', ARGV[7], KEYS[4])
    return {'CLEANUP'}
  end
  return {'DONE', r[1]}
end
if tonumber(r[2]) > tonumber(ARGV[1]) then return {'NOTYET'} end
local refund = 0
local fields = {'st', 'expired', 'sa', ARGV[1]}
for uid in string.gmatch(r[3] or '', '[^,]+') do
  fields[#fields + 1] = 'r:' .. uid
  fields[#fields + 1] = 'dropped'
  fields[#fields + 1] = 'd:' .. uid
  fields[#fields + 1] = ARGV[3]
  refund = refund + 1
end
record_change(KEYS[1], KEYS[5], fields)
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local give = math.min(used, refund)
if give > 0 then redis.call('DECRBY', KEYS[2], give) end
redis.call('ZREM', KEYS[3], ARGV[2])
return {'OK', tostring(refund)}
