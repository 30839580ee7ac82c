-- connect(node, id, token, resumable) -> 1, or 0 when the id or token is taken
-- Registers a new peer (in no room) on `node`. Ids and tokens are random (96+
-- bits), so 0 means "draw new ones", which in practice never happens.
local node, id, token, resumable = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', peer_key(id)) == 1 then
  -- This node's `restore` (run when the node starts) may have registered the
  -- peer already, between its connection and this call: the same peer, no clash.
  local held = redis.call('HMGET', peer_key(id), 'node', 'token')
  if held[1] == node and held[2] == token then return 1 end
  return 0
end
if token ~= '' and not redis.call('SET', token_key(token), id, 'NX') then return 0 end
redis.call('HSET', peer_key(id), 'node', node, 'room', '', 'token', token,
           'resumable', resumable, 'state', 'live', 'sealed', '1')
redis.call('SADD', node_peers_key(node), id)
return 1
