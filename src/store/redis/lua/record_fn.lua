-- A request record (requests, notifications, stories) is two keys of the sender's
-- partition: the record itself, a string "STATUS JSON" made once with its time to live
-- (what was sent, and the status it was made with), and its changes, a hash made by the
-- first change (`st`, `sa`, `pr`, `r:UID`, `d:UID`, `l:UID`) with the record's remaining
-- life. A request costs one SET when it is made.

-- `st` (the current status), `ex`, `rc`, then the named fields of its changes (nil where
-- unset), as one HMGET would answer them; nil when there is no record.
local function record_get(record_key, changes_key, names)
  local raw = redis.call('GET', record_key)
  if not raw then return nil end
  local sp = string.find(raw, ' ', 1, true)
  local made = cjson.decode(string.sub(raw, sp + 1))
  local changed = redis.call('HMGET', changes_key, 'st', unpack(names))
  local out = {changed[1] or string.sub(raw, 1, sp - 1), tostring(made.ex), made.rc}
  for i = 2, #changed do out[#out + 1] = changed[i] end
  return out
end

-- Writes `fields` (name, value, ...) into the record's changes, which live as long as the
-- record. False when there is no record (nothing written).
local function record_change(record_key, changes_key, fields)
  local ttl = redis.call('PTTL', record_key)
  if ttl == -2 then return false end
  redis.call('HSET', changes_key, unpack(fields))
  if ttl > 0 then redis.call('PEXPIRE', changes_key, ttl) end
  return true
end
