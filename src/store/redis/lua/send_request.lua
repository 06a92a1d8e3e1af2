-- notifications.sendRequest in one round trip: session, call_id, recipients, quota,
-- the request record and (when no confirmation is needed) its deliveries.
-- KEYS[1] session hash      KEYS[2] sender's friends hash   KEYS[3] quota counter
-- KEYS[4] the record        KEYS[5] partition outbox stream   KEYS[6] sender's request index (list)
-- KEYS[7] the session's replay set  KEYS[8] the partition's expiring set
-- ARGV[1] api_key  ARGV[2] sender uid  ARGV[3] sortable call_id or ""  ARGV[4] now (ms)
-- ARGV[5] daily limit  ARGV[6] quota ttl (s)  ARGV[7] direct delivery allowed "1"/"0"
-- ARGV[8] recipients resolved "1"/"0"  ARGV[9] request id  ARGV[10] the record as stored
-- (record_fn.lua): "sent JSON" when ARGV[7] is "1", else "pending JSON"
-- ARGV[11] expires at (ms)  ARGV[12] record ttl (s)  ARGV[13] wake-up channel
-- ARGV[14] n recipients  ARGV[15] signature to remember (calls without call_id) or ""
-- ARGV[16] replay memory size  ARGV[17 .. 16+n] recipients, then the non-friends known to use
-- the app
-- Returns {"PENDING"} | {"QUEUED"} | {"SESSION"} | {"CALLID"} | {"REPLAY"} | {"RESOLVE", uid...}
--       | {"INVALID_USER"} | {"QUOTA", used} | {"ID_TAKEN"}
-- Lua's own work was a sixth of this script's time on Redis, so it is kept small: no tables
-- but the replies on the common path, no number conversions of timestamps or ids, no copy
-- of the record.
-- (later and trim_due: decimal_fn.lua)
local s = redis.call('HMGET', KEYS[1], 'api', 'uid', 'exp', 'hw')
if not s[1] or s[1] ~= ARGV[1] or s[2] ~= ARGV[2] or not later(s[3], ARGV[4]) then
  return {'SESSION'}
end
local callid = ARGV[3]
if callid ~= '' and s[4] and callid <= s[4] then
  return {'CALLID'}
end
-- A call without call_id is remembered by its signature: claimed here (one command for
-- the check and the write), given back below if the call must be made again.
local signature = ARGV[15]
local guarded = callid == '' and signature ~= ''
if guarded and redis.call('ZADD', KEYS[7], 'NX', ARGV[4], signature) == 0 then
  return {'REPLAY'}
end

local n = tonumber(ARGV[14])
local flags = redis.call('HMGET', KEYS[2], unpack(ARGV, 17, 16 + n))
local unresolved = nil
local known = nil
local invalid = false
local all_installed = true
for i = 1, n do
  local f = flags[i]
  if f then
    if f ~= '1' then all_installed = false end
  else
    local r = ARGV[16 + i]
    if not known then
      known = {}
      for j = 17 + n, #ARGV do known[ARGV[j]] = true end
    end
    if not known[r] then
      if ARGV[8] == '1' then
        invalid = true
      else
        unresolved = unresolved or {'RESOLVE'}
        unresolved[#unresolved + 1] = r
      end
    end
  end
end
-- Nothing is kept of a call that is made again after the strangers were looked up.
if unresolved then
  if guarded then redis.call('ZREM', KEYS[7], signature) end
  return unresolved
end

if callid ~= '' then
  redis.call('HSET', KEYS[1], 'hw', callid)
elseif guarded and trim_due(ARGV[4]) then
  -- The set lives as long as the session (put_session gave it its expiry); on calls made
  -- in a millisecond ending in 0, its oldest members past the memory size go.
  local kept = redis.call('ZCARD', KEYS[7])
  if kept > tonumber(ARGV[16]) then redis.call('ZREMRANGEBYRANK', KEYS[7], 0, kept - tonumber(ARGV[16]) - 1) end
end
if invalid then return {'INVALID_USER'} end

-- Taken first and given back on a refusal: one command on the common path.
local used = redis.call('INCRBY', KEYS[3], ARGV[14])
if used > tonumber(ARGV[5]) then
  if used == n then redis.call('DEL', KEYS[3]) else redis.call('DECRBY', KEYS[3], ARGV[14]) end
  return {'QUOTA', tostring(used - n)}
end
if used == n then
  -- The day's first request: the counter is new and needs its time to live.
  redis.call('EXPIRE', KEYS[3], ARGV[6])
end

local direct = ARGV[7] == '1' and all_installed
local record = ARGV[10]
if ARGV[7] == '1' and not direct then record = 'pending' .. string.sub(record, 5) end
-- The record in one command: what was sent, the status it was made with, its life;
-- unless its id is taken (one chance in 2^53 a pair): then all this call did is undone,
-- and the caller tries again with another id.
if not redis.call('SET', KEYS[4], record, 'NX', 'EX', ARGV[12]) then
  if callid ~= '' then
    if s[4] then redis.call('HSET', KEYS[1], 'hw', s[4]) else redis.call('HDEL', KEYS[1], 'hw') end
  elseif guarded then
    redis.call('ZREM', KEYS[7], signature)
  end
  if used == n then redis.call('DEL', KEYS[3]) else redis.call('DECRBY', KEYS[3], ARGV[14]) end
  return {'ID_TAKEN'}
end
-- The sender's latest request ids, newest first: trimmed back to 100 once past 110.
local listed = redis.call('LPUSH', KEYS[6], ARGV[9])
if listed > 110 then redis.call('LTRIM', KEYS[6], 0, 99) end
if listed == 1 or string.sub(ARGV[9], -2) == '00' then
  -- When it is made, then now and then: an idle sender's index goes away with its requests.
  redis.call('EXPIRE', KEYS[6], ARGV[12])
end
if direct then
  -- One field per delivery, "api from id to attempt" (keys.rs): a third of XADD's cost
  -- was its ten arguments.
  local head = ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. ARGV[9] .. ' '
  for i = 17, 16 + n do
    redis.call('XADD', KEYS[5], '*', 'd', head .. ARGV[i] .. ' 0')
  end
  redis.call('PUBLISH', ARGV[13], KEYS[5])
  return {'QUEUED'}
end
-- Until it is settled, the expiry sweeper knows when to give its quota back.
redis.call('ZADD', KEYS[8], ARGV[11], ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[9])
return {'PENDING'}
