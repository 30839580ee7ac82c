-- leave(id, node, reason) -> {'left', room, {remaining ids}, {their nodes}} | {'none'}
-- Takes the peer out of its room (`leave`, or `kicked` by an admin on any node:
-- then the peer's own node, if another, is told to send it `left`).
local id, node, reason = ARGV[1], ARGV[2], ARGV[3]
HOOK_NODE = node
local peer_node = redis.call('HGET', peer_key(id), 'node')
local room = leave_room(id, reason, node)
if room == '' then return {'none'} end
if reason == 'kicked' and peer_node and peer_node ~= '' and peer_node ~= node then
  publish(peer_node, {t = 'removed', room = room, id = id, reason = reason})
end
local ids, nodes = members(room)
return {'left', room, ids, nodes}
