-- relay(from, node, to, most, type, text[, room])
--   -> {'ok', {local receivers}, count} | {'not_in_room'} | {'unknown_peer'} | {'no_room'}
-- Delivers a relayed message (already stamped with `from`) to the sender's room,
-- or to peer `to` only: one message per other node that has receivers; kept in
-- Redis for away receivers; the receivers on `node` are returned to the caller,
-- which delivers them in process; `count` is every receiver. One script per
-- sender connection keeps the sender's order on every channel. A server message
-- (the admin API) has no sender (`from` '') and names its `room`.
local from, node, to, most, mtype, text =
  ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local room
if from == '' then
  room = ARGV[7] or ''
  if room == '' or redis.call('EXISTS', room_key(room)) == 0 then return {'no_room'} end
else
  room = redis.call('HGET', peer_key(from), 'room')
  if not room or room == '' then return {'not_in_room'} end
end
local receivers = {}
if to ~= '' then
  if to == from or not redis.call('ZSCORE', room_key(room), to) then return {'unknown_peer'} end
  receivers = {to}
else
  for _, id in ipairs(redis.call('ZRANGE', room_key(room), 0, -1)) do
    if id ~= from then table.insert(receivers, id) end
  end
end
local here, groups = {}, {}
for _, id in ipairs(receivers) do
  local fields = redis.call('HMGET', peer_key(id), 'node', 'state')
  if fields[2] == 'away' then
    keep(id, text, most)
  elseif fields[1] == node then
    table.insert(here, id)
  elseif fields[1] and fields[1] ~= '' then
    if not groups[fields[1]] then groups[fields[1]] = {} end
    table.insert(groups[fields[1]], id)
  end
end
for other, ids in pairs(groups) do
  publish(other, {t = 'relay', room = room, from = from, type = mtype, to = ids, text = text})
end
return {'ok', here, #receivers}
