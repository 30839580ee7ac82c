-- restore(node, count, then per peer: id, token, resumable, room, seq, meta,
--         pinned, relays) -> {conflicting ids}
-- Registers `node`'s live peers again after Redis lost them (a restart with no
-- persistence, or the node was cut off past its heartbeat TTL and reaped). Each
-- keeps its seat with its original join sequence number, so join order survives;
-- capacity is not checked (they hold their seats already). A peer that another
-- node has meanwhile (it was resumed there) is a conflict: the caller ends its
-- local session without telling anyone. Idempotent.
local node, count = ARGV[1], tonumber(ARGV[2])
local conflicts = {}
local highest = tonumber(redis.call('GET', SEQ) or '0')
for i = 0, count - 1 do
  local base = 3 + i * 8
  local id, token, resumable, room, seq =
    ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
  local meta, pinned, relays = ARGV[base + 5], ARGV[base + 6], ARGV[base + 7]
  local key = peer_key(id)
  local owner = redis.call('HGET', key, 'node')
  if owner and owner ~= node then
    table.insert(conflicts, id)
  else
    local old_room = redis.call('HGET', key, 'room')
    if old_room and old_room ~= '' and old_room ~= room then leave_room(id, 'leave', node) end
    redis.call('HSET', key, 'node', node, 'room', room, 'seq', seq, 'token', token,
               'resumable', resumable, 'state', 'live', 'sealed', '1',
               'meta', meta, 'pinned', pinned, 'relays', relays)
    if token ~= '' then redis.call('SET', token_key(token), id) end
    redis.call('SADD', node_peers_key(node), id)
    if room ~= '' then
      if redis.call('ZADD', room_key(room), 'NX', tonumber(seq), id) == 1 then
        redis.call('INCR', SEATED)
      end
      redis.call('HSETNX', ROOMS, room, math.floor(now_ms() / 1000))
      if tonumber(seq) > highest then highest = tonumber(seq) end
    end
  end
end
redis.call('SET', SEQ, highest)
return conflicts
