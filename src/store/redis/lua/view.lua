-- KEYS[1] friends hash  KEYS[2] installed flag  KEYS[3] sync time  KEYS[4] profiles hash
-- ARGV[1] with profiles "1"/"0"
-- Returns {"OK", view...} (see read_view)
local view = read_view(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1])
table.insert(view, 1, 'OK')
return view
