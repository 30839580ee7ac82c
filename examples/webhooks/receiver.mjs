// A parley webhook receiver in Node.js (no dependencies): checks the
// Parley-Signature header, refuses old or forged deliveries, skips duplicates
// (delivery is at least once) and prints each event as one JSON line.
//
//   PARLEY_WEBHOOKS_SECRET=... PORT=8000 node receiver.mjs
import crypto from 'node:crypto';
import http from 'node:http';

const secret = process.env.PARLEY_WEBHOOKS_SECRET;
if (!secret) throw new Error('set PARLEY_WEBHOOKS_SECRET (the webhooks.secret of parleyd)');
const tolerance = 300; // seconds: refuse deliveries signed longer ago (replays)
const seen = new Set(); // ids of events handled; keep it bounded in real code

// Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
function verified(header, body) {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const [, t, v1] = match;
  if (Math.abs(Date.now() / 1000 - Number(t)) > tolerance) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  return crypto.timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks); // the raw bytes: sign-check before parsing
    if (req.method !== 'POST' || !verified(req.headers['parley-signature'], body)) {
      res.writeHead(401).end();
      return;
    }
    const event = JSON.parse(body);
    if (!seen.has(event.id)) {
      seen.add(event.id);
      // event.event: room-started, room-finished, peer-joined, peer-left, peer-updated.
      // Events of one room come in event.seq order.
      console.log(JSON.stringify(event));
    }
    res.writeHead(204).end(); // any 2xx: delivered; anything else: parleyd retries
  });
});

server.listen(Number(process.env.PORT ?? 8000), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`listening on ${address}:${port}`);
});
