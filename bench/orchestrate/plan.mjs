// What bench/run measures: every scenario against parley and each peer that
// can serve it, in interleaved rounds.
export const ALL = ['parley', 'beast', 'epoll', 'ws', 'sio'];
export const WITH_ROOMS_OF_N = ['parley', 'ws', 'sio']; // the bare relays pair connections only
// Idle runs are the slow ones (19,000 handshakes each): the judged figures
// (parley, and the bare Beast relay it is compared with) run every round, the
// others once.
export const IDLE_WS = ['parley', 'beast'];
export const IDLE_WSS = ['parley'];

// A server "variant" names a server and its settings: "parley@t2" is parley
// with two I/O threads, "parley@sio" parley driven through its socket.io
// dialect (/socket.io/) instead of its native dialect. The cluster variants
// run on a fresh redis-server: "parley@local" is one node with cluster.redis
// set and both peers of each pair on it, "parley@cluster" two nodes with the
// peers of each pair on different nodes, "sio@cluster" two socket.io servers
// on the Redis adapter, the peers of each pair likewise split.
export function variant(key) {
  const [server, suffix] = key.split('@');
  const options = {};
  let dialect = null;
  if (suffix === 't2') options.threads = 2;
  if (suffix === 'sio') dialect = 'sio';
  if (suffix === 'local') Object.assign(options, { redis: true, nodes: 1 });
  if (suffix === 'cluster') Object.assign(options, { redis: true, nodes: 2 });
  return { key, server, options, dialect };
}

// The rounds of throughput, churn, fan-out and idle measurements.
export function mainMeasurements(p) {
  return [
    { id: 'relay-200-k1', mode: 'relay', size: 200, inflight: 1, servers: [...ALL, 'parley@t2', 'parley@sio'] },
    { id: 'relay-4k-k1', mode: 'relay', size: 4096, inflight: 1, servers: ALL },
    { id: 'relay-200-k8', mode: 'relay', size: 200, inflight: 8, servers: ALL },
    { id: 'churn', mode: 'churn', servers: [...ALL, 'parley@sio'] },
    { id: 'fanout-8', mode: 'fanout', size: 200, inflight: 1, rooms: p.fanoutRooms, roomSize: 8, servers: WITH_ROOMS_OF_N },
    { id: 'idle-ws', mode: 'idle', sessions: p.sessions, servers: IDLE_WS },
    { id: 'idle-wss', mode: 'idle', sessions: p.sessions, tls: true, servers: IDLE_WSS },
  ];
}

// Latency at fixed offered rates derived from the saturated rates measured above.
export function latencyMeasurements(parleySaturated, socketioSaturated) {
  return [
    { id: 'latency-parley50', mode: 'latency', size: 200, rate: Math.round(0.5 * parleySaturated),
      servers: ['parley', 'epoll', 'beast', 'ws'] },
    { id: 'latency-sio50', mode: 'latency', size: 200, rate: Math.round(0.5 * socketioSaturated),
      servers: ['parley', 'sio', 'parley@sio'] },
  ];
}

// One round only: the curves behind the plots, and the idle figures that are
// reported but not judged.
export function curveMeasurements(parleySaturated, fractions, p) {
  const latency = fractions.map((f) => ({
    id: `curve-latency-${Math.round(f * 100)}`, mode: 'latency', size: 200, fraction: f,
    rate: Math.round(f * parleySaturated), servers: ['parley', 'epoll', 'beast', 'ws'],
  }));
  const sizes = [1024, 16384].map((size) => ({
    id: `curve-size-${size}`, mode: 'relay', size, inflight: 1, servers: ALL,
  }));
  const idle = [
    { id: 'idle-ws', mode: 'idle', sessions: p.sessions, servers: ['ws', 'sio'] },
    { id: 'idle-wss', mode: 'idle', sessions: p.sessions, tls: true, servers: ['beast'] },
  ];
  return [...latency, ...sizes, ...idle];
}

// With a baseline binary, every main and latency measurement of parley (its
// native dialect) also measures the baseline, in the same interleaved rounds.
export function withBaseline(measurements) {
  return measurements.map((m) => (m.servers.includes('parley')
    ? { ...m, servers: [...m.servers, 'parley-base'] } : m));
}

// The cluster scenarios (bench/run --only cluster): every process of the
// servers side (both nodes and redis-server) on core 0, the generator on core 1,
// so that a cluster of two gets the one core a single node gets, and parley
// single-node and socket.io single-process are measured beside it as the
// references under the same pinning.
export const CLUSTER = ['parley', 'parley@local', 'parley@cluster', 'sio', 'sio@cluster'];

export function clusterMeasurements() {
  return [
    { id: 'cluster-relay-200-k1', mode: 'relay', size: 200, inflight: 1, cluster: true, servers: CLUSTER },
    { id: 'cluster-churn', mode: 'churn', cluster: true, servers: CLUSTER },
  ];
}

// One-way latency across nodes at half the cross-node saturated rate, and a
// single node at the same offered rate.
export function clusterLatencyMeasurements(clusterSaturated) {
  return [
    { id: 'cluster-latency50', mode: 'latency', size: 200, rate: Math.round(0.5 * clusterSaturated),
      cluster: true, servers: ['parley', 'parley@cluster'] },
  ];
}
