-- One user's view of the graph, all in their partition.
-- Returns {uses_app "1"/"0", synced ms or "", n friends, friend, flag, ..., profile uid, json, ...}
local function read_view(friends_key, installed_key, synced_key, profiles_key, with_profiles)
  local out = {redis.call('GET', installed_key) or '0', redis.call('GET', synced_key) or ''}
  local friends = redis.call('HGETALL', friends_key)
  table.insert(out, tostring(#friends / 2))
  for _, v in ipairs(friends) do table.insert(out, v) end
  if with_profiles == '1' then
    for _, v in ipairs(redis.call('HGETALL', profiles_key)) do table.insert(out, v) end
  end
  return out
end
