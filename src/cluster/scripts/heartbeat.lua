-- heartbeat(node, ttl_ms) -> {intact, now_ms}
-- Refreshes the node's heartbeat key. `intact` is 0 when the key had lapsed (or
-- never existed): other nodes may have declared this node dead and cleaned up
-- after it, so it must register its peers and rooms again (restore).
local node, ttl = ARGV[1], tonumber(ARGV[2])
local now = now_ms()
local intact = redis.call('EXISTS', node_key(node))
redis.call('SET', node_key(node), now, 'PX', ttl)
redis.call('ZADD', NODES, now, node)
return {intact, now}
