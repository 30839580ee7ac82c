-- watch(node, room, on) -> {{ids in join order}, {their metadata}} | {}
-- on = '1': `node` has a connection watching `room` (it now hears the room's
-- presence events, once per node however many of its connections watch);
-- returns the room's peers. on = '0': its last watcher of the room stopped.
-- The node's watches are indexed so that `reap` removes them with the node.
local node, room, on = ARGV[1], ARGV[2], ARGV[3]
if on == '1' then
  redis.call('SADD', watch_key(room), node)
  redis.call('SADD', node_watch_key(node), room)
  local ids, _, metas = members(room)
  return {ids, metas}
end
redis.call('SREM', watch_key(room), node)
redis.call('SREM', node_watch_key(node), room)
return {}
