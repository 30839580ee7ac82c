-- rooms() -> {{name, created, {ids in join order}, {their metadata}}...}, sorted by name
-- For the admin API: every room of the cluster, as Redis holds it now.
local flat = redis.call('HGETALL', ROOMS)
local result = {}
for i = 1, #flat, 2 do
  local ids, _, metas = members(flat[i])
  table.insert(result, {flat[i], tonumber(flat[i + 1]), ids, metas})
end
table.sort(result, function(a, b) return a[1] < b[1] end)
return result
