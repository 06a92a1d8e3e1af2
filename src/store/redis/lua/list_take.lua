-- Reads and empties a per-user list (what a page shows once).
-- KEYS[1] the list
-- Returns its items, newest first.
local items = redis.call('LRANGE', KEYS[1], 0, -1)
if #items > 0 then redis.call('DEL', KEYS[1]) end
return items
