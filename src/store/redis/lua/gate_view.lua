-- A read-only legacy call in one round trip: the gate, then the session user's view.
-- KEYS[1] session hash  KEYS[2] replay set  KEYS[3] friends hash  KEYS[4] installed flag
-- KEYS[5] sync time  KEYS[6] profiles hash
-- ARGV[1..6] as the gate, ARGV[7] with profiles "1"/"0"
-- Returns {"OK", view...} | {"SESSION"} | {"CALLID"} | {"REPLAY"}
local refused = gate_call(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if refused then return {refused} end
local view = read_view(KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[7])
table.insert(view, 1, 'OK')
return view
