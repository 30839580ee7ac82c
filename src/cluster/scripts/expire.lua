-- expire(batch, node) -> {{id, room}...}
-- Ends away peers whose grace is over (any node may run it; each peer expires
-- once): their room-mates hear `timeout` on every node, and nothing of them stays.
-- `node` (the one running it) emits the webhook events.
local batch = tonumber(ARGV[1])
HOOK_NODE = ARGV[2] or ''
local due = redis.call('ZRANGEBYSCORE', AWAY, '-inf', now_ms(), 'LIMIT', 0, batch)
local result = {}
for _, id in ipairs(due) do
  local room = forget_peer(id, 'timeout', '')
  table.insert(result, {id, room})
end
return result
