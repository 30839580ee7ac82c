-- expire(batch) -> {{id, room}...}
-- Ends away peers whose grace is over (any node may run it; each peer expires
-- once): their room-mates hear `timeout` on every node, and nothing of them stays.
local batch = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', AWAY, '-inf', now_ms(), 'LIMIT', 0, batch)
local result = {}
for _, id in ipairs(due) do
  local room = forget_peer(id, 'timeout', '')
  table.insert(result, {id, room})
end
return result
