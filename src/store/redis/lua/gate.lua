-- Checks a session and a call_id; advances the call_id high-water mark.
-- KEYS[1] session hash
-- ARGV[1] api_key, ARGV[2] uid, ARGV[3] sortable call_id or "", ARGV[4] now (ms)
-- Returns {"OK"} | {"SESSION"} | {"CALLID"}
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
end
return {'OK'}
