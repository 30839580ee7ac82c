-- end(id, node, reason) -> {room or '', {remaining ids}, {their nodes}}
-- The peer is gone for good (closed, or lost with no resume): the others hear
-- `reason` and nothing of the peer stays. Only the peer's own node may end it.
local id, node, reason = ARGV[1], ARGV[2], ARGV[3]
HOOK_NODE = node
local owner = redis.call('HGET', peer_key(id), 'node')
if owner ~= node then return {'', {}, {}} end
local room = forget_peer(id, reason, node)
if room == '' then return {'', {}, {}} end
local ids, nodes = members(room)
return {room, ids, nodes}
