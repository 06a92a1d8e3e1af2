-- KEYS[1] session hash  KEYS[2] the session's replay set
-- ARGV[1] api_key, ARGV[2] uid, ARGV[3] sortable call_id or "", ARGV[4] now (ms)
-- ARGV[5] signature to remember (calls without call_id) or "", ARGV[6] replay memory size
-- Returns {"OK"} | {"SESSION"} | {"CALLID"} | {"REPLAY"}
local refused = gate_call(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if refused then return {refused} end
return {'OK'}
