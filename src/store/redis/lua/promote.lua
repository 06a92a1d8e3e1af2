-- Moves deliveries whose time has come from the delayed set back into the stream.
-- KEYS[1] delayed set  KEYS[2] outbox stream
-- ARGV[1] now (ms)  ARGV[2] at most this many
-- Returns how many were moved.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local d = cjson.decode(member)
  redis.call('XADD', KEYS[2], '*', 'd', d.api .. ' ' .. d.from .. ' ' .. d.id .. ' ' .. d.to .. ' ' .. d.n)
  redis.call('ZREM', KEYS[1], member)
end
return #due
