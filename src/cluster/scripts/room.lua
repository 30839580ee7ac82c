-- room(name) -> {created, {ids in join order}, {their nodes}, {their metadata}} | nil
local room = ARGV[1]
local created = redis.call('HGET', ROOMS, room)
if not created then return nil end
local ids, nodes, metas = members(room)
return {tonumber(created), ids, nodes, metas}
