-- Writes one side of a friendship from the platform's copy, in the friend's partition.
-- KEYS[1] friend's friends hash  KEYS[2] friend's profiles hash  KEYS[3] friend's installed flag
-- ARGV[1] user  ARGV[2] user uses the app  ARGV[3] user's profile JSON
-- ARGV[4] friend  ARGV[5] friend uses the app  ARGV[6] friend's profile JSON
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3], ARGV[4], ARGV[6])
if ARGV[5] == '1' then redis.call('SET', KEYS[3], '1') else redis.call('DEL', KEYS[3]) end
return 1
