-- join(id, room, max_peers, max_rooms, node)
--   -> {'joined', seq, {other ids in join order}, {their nodes}}
--    | {'full'} | {'room_limit'} | {'already_in_room'} | {'no_such_peer'}
-- The capacity check and the seat are one atomic step: of two joiners racing for
-- the last seat, exactly one gets it. The others' nodes hear `joined` (one
-- message per node); the calling node tells its own peers.
local id, room, max_peers, max_rooms, node =
  ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local key = peer_key(id)
local current = redis.call('HGET', key, 'room')
if not current then return {'no_such_peer'} end
if current ~= '' then return {'already_in_room'} end
local size = redis.call('ZCARD', room_key(room))
if size == 0 then
  if redis.call('HLEN', ROOMS) >= max_rooms then return {'room_limit'} end
elseif size >= max_peers then
  return {'full'}
end
local ids, nodes = members(room)
local seq = redis.call('INCR', SEQ)
redis.call('ZADD', room_key(room), seq, id)
redis.call('HSETNX', ROOMS, room, math.floor(now_ms() / 1000))
redis.call('HSET', key, 'room', room, 'seq', seq)
redis.call('INCR', SEATED)
announce(room, {t = 'joined', room = room, id = id, seq = seq, node = node}, node, id)
return {'joined', seq, ids, nodes}
