-- claim(token, node, new_token, provisional_id)
--   -> {'resumed', id, room, {other ids}, {their nodes}, {kept texts},
--       {their metadata}, meta, pinned, relays}
--    | {'failed'} | {'wait'} | {'retry'}
-- Resumes the peer of `token` on `node`. The token is single-use cluster-wide:
-- it is deleted here, atomically, and `new_token` replaces it. 'wait': the
-- peer's old node has not handed over its messages yet (seal): ask again in a
-- moment. 'retry': new_token is taken; draw another.
local token, node, new_token, provisional = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local id = redis.call('GET', token_key(token))
if not id or id == provisional then return {'failed'} end
local key = peer_key(id)
local fields = redis.call('HMGET', key, 'node', 'state', 'sealed', 'room')
if not fields[2] then return {'failed'} end
if fields[2] == 'away' then
  if fields[3] ~= '1' then return {'wait'} end
  local deadline = redis.call('ZSCORE', AWAY, id)
  if deadline and tonumber(deadline) <= now_ms() then return {'failed'} end  -- expiry is due
elseif fields[1] ~= '' then
  -- a half-open connection loses to the new one
  publish(fields[1], {t = 'superseded', id = id})
  redis.call('SREM', node_peers_key(fields[1]), id)
end
if not redis.call('SET', token_key(new_token), id, 'NX') then return {'retry'} end
redis.call('DEL', token_key(token))
if provisional ~= '' then
  local p = redis.call('HMGET', peer_key(provisional), 'node', 'room')
  if p[1] == node and p[2] == '' then forget_peer(provisional, 'disconnect', node) end
end
redis.call('HSET', key, 'node', node, 'state', 'live', 'sealed', '1', 'token', new_token)
redis.call('SADD', node_peers_key(node), id)
redis.call('ZREM', AWAY, id)
local kept = redis.call('LRANGE', kept_key(id), 0, -1)
redis.call('DEL', kept_key(id))
local room = fields[4] or ''
local ids, nodes, metas = {}, {}, {}
if room ~= '' then
  local all, all_nodes, all_metas = members(room)
  for i, other in ipairs(all) do
    if other ~= id then
      table.insert(ids, other)
      table.insert(nodes, all_nodes[i])
      table.insert(metas, all_metas[i])
    end
  end
end
local own = redis.call('HMGET', key, 'meta', 'pinned', 'relays')
return {'resumed', id, room, ids, nodes, kept, metas, meta_of(own[1]), own[2] or '0', own[3] or ''}
