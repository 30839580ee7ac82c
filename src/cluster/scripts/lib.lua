-- Shared by every script of the cluster (prepended to each at build time).
-- Key names: docs/cluster.md. Every script uses Redis's clock (TIME), never a
-- node's, so nodes need no synchronised clocks.
local P = 'parley:'
local NODES = P .. 'nodes'
local ROOMS = P .. 'rooms'
local AWAY = P .. 'away'
local SEQ = P .. 'seq'
local SEATED = P .. 'seated'
local ROOMMAX = P .. 'roommax'

local function peer_key(id) return P .. 'peer:' .. id end
local function token_key(token) return P .. 'token:' .. token end
local function room_key(room) return P .. 'room:' .. room end
local function kept_key(id) return P .. 'kept:' .. id end
local function node_key(node) return P .. 'node:' .. node end
local function node_peers_key(node) return P .. 'nodepeers:' .. node end
local function channel(node) return P .. 'ch:' .. node end
local function watch_key(room) return P .. 'watch:' .. room end
local function node_watch_key(node) return P .. 'nodewatch:' .. node end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function publish(node, event)
  redis.call('PUBLISH', channel(node), cjson.encode(event))
end

-- Webhook events (integration-v1.md "Webhooks"): each is numbered here, per
-- room, in the order the changes are made (HOOKSEQ: room -> last seq), and
-- published on the hooks channel of the node that made the change (HOOK_NODE,
-- set by the script that runs; '' for none: numbered, not published), which
-- emits it. So each event is emitted once cluster-wide, with a seq that every
-- node agrees on.
local HOOKSEQ = P .. 'hookseq'
local HOOK_NODE = ''
local function hook(event, room, id, meta, reason)
  local seq
  if event == 'room-started' then
    seq = 1
    redis.call('HSET', HOOKSEQ, room, seq)
  else
    seq = redis.call('HINCRBY', HOOKSEQ, room, 1)
    if event == 'room-finished' then redis.call('HDEL', HOOKSEQ, room) end
  end
  if HOOK_NODE and HOOK_NODE ~= '' then
    redis.call('PUBLISH', P .. 'hooks:' .. HOOK_NODE, cjson.encode(
      {t = 'hook', type = event, room = room, id = id or '', meta = meta or '{}',
       reason = reason or '', seq = seq}))
  end
end

-- A peer's metadata (JSON text, kept as the node gave it): '{}' when none.
local function meta_of(text)
  if not text or text == '' then return '{}' end
  return text
end

-- The room's peers in join order, with the node each is live on ('' when away)
-- and each one's metadata.
local function members(room)
  local ids = redis.call('ZRANGE', room_key(room), 0, -1)
  local nodes, metas = {}, {}
  for i, id in ipairs(ids) do
    local fields = redis.call('HMGET', peer_key(id), 'node', 'state', 'meta')
    if fields[2] == 'live' and fields[1] then nodes[i] = fields[1] else nodes[i] = '' end
    metas[i] = meta_of(fields[3])
  end
  return ids, nodes, metas
end

-- Tells each node with live peers in `room`, or with connections watching it
-- (but `skip_node`, which tells its own itself, and never `except_id`) of
-- `event`, once per node; `event.to` lists that node's receiving peers (empty
-- for a node with watchers only; each node tells its own watchers). Away peers
-- learn of presence by `resumed.peers`.
local function announce(room, event, skip_node, except_id)
  local ids, nodes = members(room)
  local groups = {}
  for i, id in ipairs(ids) do
    local node = nodes[i]
    if id ~= except_id and node ~= '' and node ~= skip_node then
      if not groups[node] then groups[node] = {} end
      table.insert(groups[node], id)
    end
  end
  for _, watcher in ipairs(redis.call('SMEMBERS', watch_key(room))) do
    if watcher ~= skip_node and not groups[watcher] then groups[watcher] = {} end
  end
  for node, to in pairs(groups) do
    event.to = to
    publish(node, event)
  end
end

-- Takes peer `id` out of its room; the others hear `reason`. An empty room is
-- destroyed at once. Returns the room left ('' when in none).
local function leave_room(id, reason, skip_node)
  local key = peer_key(id)
  local room = redis.call('HGET', key, 'room')
  if not room or room == '' then return '' end
  local meta = meta_of(redis.call('HGET', key, 'meta'))
  redis.call('ZREM', room_key(room), id)
  -- metadata and grants live as long as the seat
  redis.call('HSET', key, 'room', '', 'seq', '', 'meta', '', 'pinned', '0', 'relays', '')
  redis.call('DECR', SEATED)
  hook('peer-left', room, id, meta, reason)
  if redis.call('EXISTS', room_key(room)) == 0 then
    redis.call('HDEL', ROOMS, room)
    redis.call('HDEL', ROOMMAX, room)
    hook('room-finished', room)
  end
  -- the last peer's leave still reaches the room's watchers
  announce(room, {t = 'left', room = room, id = id, reason = reason}, skip_node, id)
  return room
end

-- Forgets peer `id` entirely: seat, record, token, kept messages, indexes.
local function forget_peer(id, reason, skip_node)
  local key = peer_key(id)
  local fields = redis.call('HMGET', key, 'node', 'token')
  local room = leave_room(id, reason, skip_node)
  if fields[1] and fields[1] ~= '' then redis.call('SREM', node_peers_key(fields[1]), id) end
  if fields[2] and fields[2] ~= '' then redis.call('DEL', token_key(fields[2])) end
  redis.call('DEL', key, kept_key(id))
  redis.call('ZREM', AWAY, id)
  return room
end

-- Appends `text` to the messages kept for away peer `id`, dropping the oldest
-- beyond `most`.
local function keep(id, text, most)
  local key = kept_key(id)
  redis.call('RPUSH', key, text)
  redis.call('LTRIM', key, -most, -1)
end
