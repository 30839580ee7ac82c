-- join(id, room, max_peers, max_rooms, node [, meta, pinned, relays, capacity])
--   -> {'joined', seq, {other ids in join order}, {their nodes}, {their metadata}}
--    | {'full'} | {'room_limit'} | {'already_in_room'} | {'no_such_peer'}
-- The capacity check and the seat are one atomic step: of two joiners racing for
-- the last seat, exactly one gets it. The others' nodes (and the nodes watching
-- the room) hear `joined` (one message per node); the calling node tells its
-- own. `meta` (JSON text), `pinned` ('1': the metadata may not change) and
-- `relays` (the relay types the peer may send, a bit set) are kept with the
-- seat, across a resume on another node. `capacity`, when given, is the room's
-- own limit if this join creates it (a join token's); else `max_peers` applies.
local id, room, max_peers, max_rooms, node =
  ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local meta, pinned, relays, capacity =
  meta_of(ARGV[6]), ARGV[7] or '0', ARGV[8] or '', ARGV[9] or ''
HOOK_NODE = node
local key = peer_key(id)
local current = redis.call('HGET', key, 'room')
if not current then return {'no_such_peer'} end
if current ~= '' then return {'already_in_room'} end
local size = redis.call('ZCARD', room_key(room))
if size == 0 then
  if redis.call('HLEN', ROOMS) >= max_rooms then return {'room_limit'} end
else
  local limit = tonumber(redis.call('HGET', ROOMMAX, room) or '') or max_peers
  if size >= limit then return {'full'} end
end
local ids, nodes, metas = members(room)
local seq = redis.call('INCR', SEQ)
redis.call('ZADD', room_key(room), seq, id)
redis.call('HSETNX', ROOMS, room, math.floor(now_ms() / 1000))
if size == 0 and capacity ~= '' then redis.call('HSET', ROOMMAX, room, capacity) end
redis.call('HSET', key, 'room', room, 'seq', seq, 'meta', meta, 'pinned', pinned, 'relays', relays)
redis.call('INCR', SEATED)
if size == 0 then hook('room-started', room) end
hook('peer-joined', room, id, meta)
announce(room, {t = 'joined', room = room, id = id, seq = seq, node = node, meta = meta}, node, id)
return {'joined', seq, ids, nodes, metas}
