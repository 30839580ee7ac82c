-- update_meta(id, node, meta) -> {'updated', room, {ids}, {their nodes}}
--    | {'not_in_room'} | {'forbidden'}
-- Replaces the seated peer's metadata (JSON text) unless its join pinned it;
-- the other nodes with peers in the room, or watching it, hear `updated`; the
-- calling node tells its own (the room's peers are returned for that).
local id, node, meta = ARGV[1], ARGV[2], meta_of(ARGV[3])
local key = peer_key(id)
local fields = redis.call('HMGET', key, 'room', 'pinned')
if not fields[1] or fields[1] == '' then return {'not_in_room'} end
if fields[2] == '1' then return {'forbidden'} end
local room = fields[1]
redis.call('HSET', key, 'meta', meta)
HOOK_NODE = node
hook('peer-updated', room, id, meta)
announce(room, {t = 'updated', room = room, id = id, meta = meta}, node, id)
local ids, nodes = members(room)
return {'updated', room, ids, nodes}
