-- Checks a session, a call_id or (without one) that the call was not answered before;
-- advances the call_id high-water mark, or remembers the call's signature.
-- KEYS[1] session hash  KEYS[2] the session's replay set
-- ARGV[1] api_key, ARGV[2] uid, ARGV[3] sortable call_id or "", ARGV[4] now (ms)
-- ARGV[5] signature to remember (calls without call_id) or "", ARGV[6] replay memory size
-- Returns {"OK"} | {"SESSION"} | {"CALLID"} | {"REPLAY"}
local s = redis.call('HMGET', KEYS[1], 'api', 'uid', 'exp', 'hw')
if not s[1] or s[1] ~= ARGV[1] or s[2] ~= ARGV[2] or tonumber(s[3]) <= tonumber(ARGV[4]) then
  return {'SESSION'}
end
local callid = ARGV[3]
if callid ~= '' then
  if s[4] and callid <= s[4] then
    return {'CALLID'}
  end
  redis.call('HSET', KEYS[1], 'hw', callid)
elseif ARGV[5] ~= '' then
  if redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[5]) == 0 then
    return {'REPLAY'}
  end
  local kept = redis.call('ZCARD', KEYS[2])
  if kept == 1 then redis.call('PEXPIREAT', KEYS[2], s[3]) end
  if kept > tonumber(ARGV[6]) then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, kept - tonumber(ARGV[6]) - 1) end
end
return {'OK'}
