-- notifications.send and feed.publish*: the allocation, the record and its deliveries in one
-- round trip. The call passed the session/call_id gate already (with its graph read).
-- KEYS[1] the allocation's counter  KEYS[2] the record  KEYS[3] partition outbox stream
-- ARGV[1] api_key  ARGV[2] from  ARGV[3] id  ARGV[4] now (ms)  ARGV[5] counted "1"/"0"
-- ARGV[6] limit  ARGV[7] amount  ARGV[8] counter ttl (s)  ARGV[9] the record's JSON
-- (record_fn.lua)  ARGV[10] record ttl (s)  ARGV[11] wake-up channel  ARGV[12..] recipients
-- Returns {"QUEUED"} | {"QUOTA", used} | {"ID_TAKEN"}
if redis.call('EXISTS', KEYS[2]) == 1 then return {'ID_TAKEN'} end
if ARGV[5] == '1' then
  local used = tonumber(redis.call('GET', KEYS[1]) or '0')
  local amount = tonumber(ARGV[7])
  if used + amount > tonumber(ARGV[6]) then return {'QUOTA', tostring(used)} end
  if redis.call('INCRBY', KEYS[1], amount) == amount then
    -- The day's first use: the counter is new and needs its time to live.
    redis.call('EXPIRE', KEYS[1], ARGV[8])
  end
end
redis.call('SET', KEYS[2], 'sent ' .. ARGV[9], 'EX', ARGV[10])
for i = 12, #ARGV do
  redis.call('XADD', KEYS[3], '*', 'd', ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[i] .. ' 0')
end
redis.call('PUBLISH', ARGV[11], KEYS[3])
return {'QUEUED'}
