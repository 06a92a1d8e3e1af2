-- mixi: the requests held for a recipient, forgotten as they are read.
-- KEYS[1] the recipient's held-requests hash
-- Returns "from:id" members.
local held = redis.call('HKEYS', KEYS[1])
if #held > 0 then redis.call('DEL', KEYS[1]) end
return held
