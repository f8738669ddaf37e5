import { createServer } from 'node:http';
import { heartbeatHandler, type Presence, registeredUsers, touch } from './heartbeat-work';

/**
 * The reference for the heartbeat rate: a bare node:http server doing a heartbeat's work (read
 * and parse the JSON body, check the name, look the user up, move it to the end of the online
 * map, answer JSON) and nothing else. `PORT=3900 node .bench-build/bench/heartbeat/reference-server.js`
 *
 * It holds `alice` and, like the leader under `npm run bench:heartbeat`, USERS more users named
 * `${USER_PREFIX}0` ... so that rotating heartbeats look up as many distinct names. The work is
 * bench/heartbeat/heartbeat-work.ts, the floor's too (bench/heartbeat/majority-reference.ts).
 */
const online = new Map<string, Presence>();

createServer(
  heartbeatHandler(registeredUsers(), (name, addr, answer) => {
    touch(online, name, { addr, lastSeen: performance.now() });
    answer();
  }),
).listen(Number(process.env.PORT ?? 3900), '127.0.0.1', () => process.stdout.write('listening\n'));
