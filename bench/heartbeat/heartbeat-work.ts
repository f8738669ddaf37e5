import { type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * A heartbeat's own work, the same in the bare reference (bench/heartbeat/reference-server.ts)
 * and in the floor (bench/heartbeat/majority-reference.ts): read and parse the JSON body, check
 * the name, look the user up, answer JSON. What each does with a heartbeat that passes (move it
 * to the end of the online map at once, or once a majority holds it) is its own.
 */

const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;

export interface Presence {
  addr: string;
  lastSeen: number;
}

/** Moves `name` to the end of `map` (the most recent), as the reference's online map does. */
export function touch(map: Map<string, Presence>, name: string, presence: Presence): void {
  map.delete(name);
  map.set(name, presence);
}

/** `alice` and USERS more named `${USER_PREFIX}0` ..., as the reference and the bench hold. */
export function registeredUsers(): Map<string, { addr: string }> {
  const registered = new Map([['alice', { addr: '192.168.1.10:9000' }]]);
  const extraUsers = Number(process.env.USERS ?? 0);
  const prefix = process.env.USER_PREFIX ?? 'hb-';
  for (let i = 0; i < extraUsers; i++) {
    registered.set(`${prefix}${i}`, { addr: `10.0.${(i >> 8) & 255}.${i & 255}:9000` });
  }
  return registered;
}

function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Answers the heartbeat 200, with `headers` beside the term. */
export type Answer = (headers?: Record<string, string>) => void;
/** What to do with a heartbeat that passed the checks: `answer` it once a majority holds it. */
export type AcceptHeartbeat = (username: string, addr: string, answer: Answer) => void;

/**
 * The heartbeat's work (parse the JSON body, check the name, look the user up) and its 4xx
 * answers; a heartbeat that passes goes to `accept`. `everyAnswer` headers go on every answer.
 */
export function heartbeatHandler(
  registered: Map<string, { addr: string }>,
  accept: AcceptHeartbeat,
  everyAnswer: Record<string, string> = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const reply = (res: ServerResponse, status: number, body: unknown, more = {}) =>
    writeJson(res, status, body, { ...everyAnswer, ...more });
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== '/heartbeat')
      return reply(res, 404, { success: false });
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
      const message = `Heartbeat accepted for '${username}' at ${at}`;
      accept(username, at, (headers) => reply(res, 200, { success: true, message }, headers));
    });
  };
}
