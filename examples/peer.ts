/**
 * The seed's "client usage pattern" as a runnable peer: register once, heartbeat, discover, and
 * print the peers this one could connect to, then keep heartbeating and print who comes and goes.
 *
 *   npm run example:peer -- --username bob --addr 10.0.0.2:9000 \
 *     --nodes 127.0.0.1:3000,127.0.0.1:3001,127.0.0.1:3002
 */
import { parseArgs } from 'node:util';
import { RollcallClient, UsernameTakenError } from '../src/sdk';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      username: { type: 'string' },
      addr: { type: 'string' },
      nodes: { type: 'string', default: '127.0.0.1:3000,127.0.0.1:3001,127.0.0.1:3002' },
      'interval-ms': { type: 'string', default: '10000' },
    },
  });
  const { username, addr } = values;
  if (!username || !addr) {
    process.stderr.write('usage: peer --username NAME --addr HOST:PORT [--nodes A,B,C]\n');
    process.exit(2);
  }
  const client = new RollcallClient({
    nodes: values.nodes.split(','),
    username,
    addr,
    heartbeatIntervalMs: Number(values['interval-ms']),
    onError: (err) => console.error(`heartbeat failed: ${err.message}`),
  });

  try {
    const { user_id } = await client.register();
    console.log(`registered ${username} at ${addr} (user_id ${user_id})`);
  } catch (err) {
    // Registration is once per name: a peer that restarts finds itself registered already.
    if (!(err instanceof UsernameTakenError)) throw err;
    console.log(`${username} is registered already`);
  }
  client.start();
  // The first heartbeat is on its way; discover once it has been accepted, so we count too.
  await client.heartbeat();

  const peers = (await client.discover()).filter((p) => p.username !== username);
  console.log(`peers you can connect to (${peers.length}):`);
  for (const p of peers) console.log(`  ${p.username} at ${p.addr}`);

  const watcher = client.watch((event) => {
    if (event.type === 'online' && event.username !== username) {
      console.log(`online: ${event.username} at ${event.addr}`);
    } else if (event.type === 'offline') {
      console.log(`offline: ${event.username}`);
    }
  });

  const stop = () => {
    void Promise.all([watcher.stop(), client.stop()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: Error) => {
  console.error(`peer: ${err.name}: ${err.message}`);
  process.exit(1);
});
