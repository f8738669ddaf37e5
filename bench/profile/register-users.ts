/**
 * Registers users hb-0 .. hb-<count-1> on the leader at 127.0.0.1:<port>: the set-up of
 * bench/profile/profile-leader.sh, with the same client as the heartbeat bench.
 *   node .bench-build/bench/profile/register-users.js PORT COUNT
 */
import { forEachUser } from '../lib/fill-users';

const [port, count] = process.argv.slice(2).map(Number);
if (!(port > 0 && count > 0)) throw new Error('usage: register-users.js PORT COUNT');
forEachUser(port, '/register', 'hb-', 0, count).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
