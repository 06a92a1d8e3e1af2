-- The call gate as functions, shared by the scripts that gate a call before their work.
-- A call without call_id is remembered by its signature in two generations of plain hashes
-- (one O(1) HSETNX a call, where a sorted set paid a skiplist insert): the session hash's
-- field `g` names the current one. Once the current holds half the memory size, the older
-- is emptied and becomes the current: between half and all of the memory size of the
-- latest signatures are kept, and no more.

-- The (current, older) replay generations of a session whose hash read `g`.
local function replay_generations(g, replay0, replay1)
  if g == '1' then return replay1, replay0 end
  return replay0, replay1
end

-- Claims `signature` for this session: true when it is new (now remembered), false when
-- the same call was answered before.
local function replay_claim(g, replay0, replay1, signature, now)
  local current, older = replay_generations(g, replay0, replay1)
  if redis.call('HEXISTS', older, signature) == 1 then return false end
  return redis.call('HSETNX', current, signature, now) == 1
end

-- Gives a claimed signature back (the call is to be made again).
local function replay_release(g, replay0, replay1, signature)
  local current = replay_generations(g, replay0, replay1)
  redis.call('HDEL', current, signature)
end

-- On the calls made in every 8th millisecond: once the current generation holds half the
-- memory size, the older one is emptied and becomes the current. Each generation keeps a
-- placeholder field so that it exists, with the session's expiry, from the session's start.
local function replay_rotate(session_key, g, replay0, replay1, expires, now, memory)
  if tonumber(now) % 8 ~= 0 then return end
  local current, older = replay_generations(g, replay0, replay1)
  if redis.call('HLEN', current) < tonumber(memory) / 2 then return end
  redis.call('DEL', older)
  redis.call('HSET', older, '', '0')
  redis.call('PEXPIREAT', older, expires)
  if g == '1' then g = '0' else g = '1' end
  redis.call('HSET', session_key, 'g', g)
end

-- Checks a session, a call_id or (without one) that the call was not answered before;
-- advances the call_id high-water mark, or remembers the call's signature.
-- Returns nil when the call passes, else 'SESSION' | 'CALLID' | 'REPLAY'.
local function gate_call(session_key, replay0, replay1, api, uid, callid, now, signature, memory)
  local s = redis.call('HMGET', session_key, 'api', 'uid', 'exp', 'hw', 'g')
  if not s[1] or s[1] ~= api or s[2] ~= uid or tonumber(s[3]) <= tonumber(now) then
    return 'SESSION'
  end
  if callid ~= '' then
    if s[4] and callid <= s[4] then
      return 'CALLID'
    end
    redis.call('HSET', session_key, 'hw', callid)
  elseif signature ~= '' then
    if not replay_claim(s[5], replay0, replay1, signature, now) then
      return 'REPLAY'
    end
    replay_rotate(session_key, s[5], replay0, replay1, s[3], now, memory)
  end
  return nil
end
