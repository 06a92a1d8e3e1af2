-- Settles a pending request: the sender confirmed, cancelled, or mixi reported back.
-- At most one settlement wins: only a pending, unexpired request changes.
-- KEYS[1] the record  KEYS[2] sender's partition outbox  KEYS[3] quota counter of its day
-- KEYS[4] the partition's expiring set (the settled request leaves it)  KEYS[5] its changes
-- ARGV[1] "send" | "cancel" | "mixi"  ARGV[2] now (ms)  ARGV[3] wake-up channel
-- ARGV[4] api_key  ARGV[5] from  ARGV[6] id  ARGV[7] enqueue deliveries "1"/"0"
-- ARGV[8] platform request id  ARGV[9] detail
-- ARGV[10] (mixi) when the request must be deleted at mixi at the latest (ms), or "" when
-- mixi's Graph API is not configured  ARGV[11..] recipients chosen (mixi)
-- Returns {"OK", refunded} | {"MISSING"} | {"DONE", status} | {"EXPIRED"}
local r = record_get(KEYS[1], KEYS[5], {})
if not r then return {'MISSING'} end
if r[1] ~= 'pending' then return {'DONE', r[1]} end
if tonumber(r[2]) <= tonumber(ARGV[2]) then return {'EXPIRED'} end
local rc = {}
for uid in string.gmatch(r[3] or '', '[^,]+') do table.insert(rc, uid) end
redis.call('ZREM', KEYS[4], ARGV[4] .. ':' .. ARGV[5] .. ':' .. ARGV[6])

local fields = {'sa', ARGV[2]}
local function set(name, value)
  fields[#fields + 1] = name
  fields[#fields + 1] = value
end

if ARGV[1] == 'send' then
  set('st', 'sent')
  if ARGV[7] == '1' then
    for _, uid in ipairs(rc) do
      set('r:' .. uid, 'queued')
      redis.call('XADD', KEYS[2], '*', 'd', ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. ARGV[6] .. ' ' .. uid .. ' 0')
    end
    redis.call('PUBLISH', ARGV[3], KEYS[2])
  end
  record_change(KEYS[1], KEYS[5], fields)
  return {'OK', '0'}
end

local refund = 0
if ARGV[1] == 'cancel' then
  set('st', 'cancelled')
  for _, uid in ipairs(rc) do
    set('r:' .. uid, 'dropped')
    set('d:' .. uid, ARGV[9])
  end
  refund = #rc
elseif ARGV[1] == 'mixi' then
  local chosen = {}
  for i = 11, #ARGV do chosen[ARGV[i]] = true end
  set('st', 'sent')
  set('pr', ARGV[8])
  if ARGV[10] ~= '' and ARGV[8] ~= '' and #ARGV > 10 then
    -- Held by mixi until every recipient launched the app, or until it expires: its
    -- clean-up state is kept under the sender's own uid (never a recipient), and the
    -- sweeper finds it in the expiring set.
    set('r:' .. ARGV[5], 'pending')
    redis.call('ZADD', KEYS[4], ARGV[10], ARGV[4] .. ':' .. ARGV[5] .. ':' .. ARGV[6])
  end
  for _, uid in ipairs(rc) do
    if chosen[uid] then
      set('r:' .. uid, 'delivered')
    else
      set('r:' .. uid, 'dropped')
      set('d:' .. uid, ARGV[9])
      refund = refund + 1
    end
  end
else
  return redis.error_reply('unknown settlement ' .. ARGV[1])
end
record_change(KEYS[1], KEYS[5], fields)
if refund > 0 then
  local used = tonumber(redis.call('GET', KEYS[3]) or '0')
  local give = math.min(used, refund)
  if give > 0 then redis.call('DECRBY', KEYS[3], give) end
end
return {'OK', tostring(refund)}
