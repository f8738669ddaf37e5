import { createServer } from 'node:http';

/**
 * The reference for the heartbeat rate: a bare node:http server doing a heartbeat's work (read
 * and parse the JSON body, check the name, look the user up, move it to the end of the online
 * map, answer JSON) and nothing else. `PORT=3900 node .bench-build/bench/heartbeat/reference-server.js`
 *
 * It holds `alice` and, like the leader under `npm run bench:heartbeat`, USERS more users named
 * `${USER_PREFIX}0` ... so that rotating heartbeats look up as many distinct names.
 */
const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
const registered = new Map([['alice', { addr: '192.168.1.10:9000' }]]);
const extraUsers = Number(process.env.USERS ?? 0);
const prefix = process.env.USER_PREFIX ?? 'hb-';
for (let i = 0; i < extraUsers; i++) {
  registered.set(`${prefix}${i}`, { addr: `10.0.${(i >> 8) & 255}.${i & 255}:9000` });
}
const online = new Map<string, { addr: string; lastSeen: number }>();

function reply(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/heartbeat') return reply(res, 404, { success: false });
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: { username?: unknown; addr?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return reply(res, 400, { success: false, message: 'Malformed JSON' });
    }
    const { username } = body;
    if (typeof username !== 'string' || !USERNAME.test(username))
      return reply(res, 400, { success: false, message: 'bad username' });
    const user = registered.get(username);
    if (!user) return reply(res, 404, { success: false, message: 'not registered' });
    const at = typeof body.addr === 'string' ? body.addr : user.addr;
    online.delete(username);
    online.set(username, { addr: at, lastSeen: performance.now() });
    reply(res, 200, { success: true, message: `Heartbeat accepted for '${username}' at ${at}` });
  });
}).listen(Number(process.env.PORT ?? 3900), '127.0.0.1', () => process.stdout.write('listening\n'));
