-- reap(grace_ms, batch, node) -> {dead_nodes_done, peers_handled, more}
-- Cleans up after nodes whose heartbeat key lapsed. Their resumable peers become
-- away (kept for the grace from now, then `timeout` by expire); their other peers
-- (no resume in their dialect) end at once with `disconnect`. A node's entry and
-- peer set go when they are empty. At most `batch` peers per call, so Redis is
-- never blocked long; `more` = 1 asks the caller to call again.
local grace, batch = tonumber(ARGV[1]), tonumber(ARGV[2])
HOOK_NODE = ARGV[3] or ''  -- the node running it emits the webhook events
local now = now_ms()
local done, handled = 0, 0
for _, node in ipairs(redis.call('ZRANGE', NODES, 0, -1)) do
  if redis.call('EXISTS', node_key(node)) == 0 then
    local set = node_peers_key(node)
    while handled < batch do
      local id = redis.call('SPOP', set)
      if not id then break end
      handled = handled + 1
      local key = peer_key(id)
      local fields = redis.call('HMGET', key, 'state', 'resumable')
      if fields[1] == 'away' then
        -- lost before its node died: nothing more will be sealed for it
        redis.call('HSET', key, 'node', '', 'sealed', '1')
      elseif fields[2] == '1' and grace > 0 then
        redis.call('HSET', key, 'node', '', 'state', 'away', 'sealed', '1')
        redis.call('ZADD', AWAY, now + grace, id)
      elseif fields[1] then
        -- no resume: a lost connection ends it (`timeout` for a resumable peer
        -- when resume is off, as on a single node)
        redis.call('HSET', key, 'node', '')
        forget_peer(id, fields[2] == '1' and 'timeout' or 'disconnect', '')
      end
    end
    if redis.call('SCARD', set) == 0 then
      redis.call('DEL', set)
      for _, room in ipairs(redis.call('SMEMBERS', node_watch_key(node))) do
        redis.call('SREM', watch_key(room), node)
      end
      redis.call('DEL', node_watch_key(node))
      redis.call('ZREM', NODES, node)
      done = done + 1
    else
      return {done, handled, 1}
    end
  end
end
return {done, handled, 0}
