-- Replaces one user's view with the platform's copy (all in the user's partition).
-- KEYS[1] friends hash  KEYS[2] profiles hash  KEYS[3] installed flag  KEYS[4] sync time
-- ARGV[1] uid  ARGV[2] uses the app "1"/"0"  ARGV[3] own profile JSON  ARGV[4] synced ms
-- ARGV[5..] friend, flag, profile JSON triples
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
for i = 5, #ARGV, 3 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
end
if ARGV[2] == '1' then redis.call('SET', KEYS[3], '1') else redis.call('DEL', KEYS[3]) end
redis.call('SET', KEYS[4], ARGV[4])
return 1
