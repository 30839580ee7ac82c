-- lost(id, node, grace_ms) -> deadline_ms | 0
-- The peer's connection on `node` was lost: it keeps id and seat for the grace.
-- From now on messages for it are kept in Redis (relay appends them). Those that
-- were already on their way to `node` arrive there before the `seal` marker
-- published here (one order per channel), so the node collects them, and at the
-- marker hands them over with `seal`, ahead of the newer ones.
local id, node, grace = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = peer_key(id)
local fields = redis.call('HMGET', key, 'node', 'state')
if fields[1] ~= node or fields[2] ~= 'live' then return 0 end
local deadline = now_ms() + grace
redis.call('HSET', key, 'state', 'away', 'sealed', '0')
redis.call('ZADD', AWAY, deadline, id)
publish(node, {t = 'seal', id = id})
return deadline
