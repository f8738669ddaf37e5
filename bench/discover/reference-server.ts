import { createServer } from 'node:http';

/**
 * The reference for /discover: a bare node:http server holding COUNT online clients named and
 * addressed as `npm run bench:discover` names them, answering GET /discover with the same shape
 * as rollcall, built per request (ages from a monotonic clock) and serialized with
 * JSON.stringify. `PORT=3900 COUNT=10000 node .bench-build/bench/discover/reference-server.js`
 */
const count = Number(process.env.COUNT ?? 0);
const prefix = process.env.USER_PREFIX ?? 'dc-';
const online = new Map<string, { username: string; addr: string; lastSeen: number }>();
for (let i = 0; i < count; i++) {
  const username = `${prefix}${i}`;
  const addr = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9000`;
  online.set(username, { username, addr, lastSeen: performance.now() });
}

createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/discover') {
    res.writeHead(404).end();
    return;
  }
  const now = performance.now();
  const wall = Date.now();
  const clients = [];
  for (const c of online.values()) {
    const age = Math.max(0, Math.round(now - c.lastSeen));
    clients.push({
      username: c.username,
      addr: c.addr,
      last_seen: new Date(wall - age).toISOString(),
      last_seen_ms_ago: age,
    });
  }
  const text = JSON.stringify({ online_clients: clients, count: clients.length, is_leader: true });
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}).listen(Number(process.env.PORT ?? 3900), '127.0.0.1', () => process.stdout.write('listening\n'));
