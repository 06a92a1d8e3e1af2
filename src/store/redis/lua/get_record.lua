-- A record and its changes in one round trip.
-- KEYS[1] the record  KEYS[2] its changes
-- Returns {record or false, {field, value, ...}}
return {redis.call('GET', KEYS[1]), redis.call('HGETALL', KEYS[2])}
