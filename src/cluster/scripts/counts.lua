-- counts() -> {rooms, seated}
-- The cluster-wide gauges (/metrics parley_rooms, parley_peers), as Redis holds them now.
return {redis.call('HLEN', ROOMS), tonumber(redis.call('GET', SEATED) or '0')}
