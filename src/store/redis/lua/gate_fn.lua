-- The call gate as a function, shared by the scripts that gate a call before their work.
-- Checks a session, a call_id or (without one) that the call was not answered before;
-- advances the call_id high-water mark, or remembers the call's signature.
-- Returns nil when the call passes, else 'SESSION' | 'CALLID' | 'REPLAY'.
-- (later and trim_due: decimal_fn.lua)
local function gate_call(session_key, replay_key, api, uid, callid, now, signature, memory)
  local s = redis.call('HMGET', session_key, 'api', 'uid', 'exp', 'hw')
  if not s[1] or s[1] ~= api or s[2] ~= uid or not later(s[3], now) then
    return 'SESSION'
  end
  if callid ~= '' then
    if s[4] and callid <= s[4] then
      return 'CALLID'
    end
    redis.call('HSET', session_key, 'hw', callid)
  elseif signature ~= '' then
    if redis.call('ZADD', replay_key, 'NX', now, signature) == 0 then
      return 'REPLAY'
    end
    -- The set lives as long as the session (put_session gave it its expiry); now and then
    -- its oldest members go past the memory size.
    if trim_due(now) then
      local kept = redis.call('ZCARD', replay_key)
      if kept > tonumber(memory) then redis.call('ZREMRANGEBYRANK', replay_key, 0, kept - tonumber(memory) - 1) end
    end
  end
  return nil
end
