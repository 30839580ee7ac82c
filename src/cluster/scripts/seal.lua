-- seal(id, node, most, text...) -> 1 | 0
-- Hands the messages that `node` held for its lost peer (oldest first) to Redis,
-- ahead of those relay kept since the peer was lost; the peer may now be resumed
-- on any node.
local id, node, most = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = peer_key(id)
local fields = redis.call('HMGET', key, 'node', 'state')
if fields[1] ~= node or fields[2] ~= 'away' then return 0 end
for i = #ARGV, 4, -1 do redis.call('LPUSH', kept_key(id), ARGV[i]) end
if #ARGV >= 4 then redis.call('LTRIM', kept_key(id), -most, -1) end
redis.call('HSET', key, 'node', '', 'sealed', '1')
redis.call('SREM', node_peers_key(node), id)
return 1
