import { keepAliveAgent, loopbackRequest } from './loopback-http';
import { sleep } from './time';

const RETRIES_ON_503 = 50;

/** The address user i registers with: distinct per user, valid host:port. */
export function addrOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9000`;
}

/**
 * Sends `path` for users `${prefix}${from}` .. `${prefix}${to - 1}` to 127.0.0.1:`port`,
 * `concurrency` at a time over keep-alive connections. A 503 (the leader between lease renewals
 * on a busy machine) is retried after a pause; any other answer than 200 throws: a bench that
 * fills state must know the state is what it claims. `ca`: the nodes serve HTTPS, signed by it.
 */
export async function forEachUser(
  port: number,
  path: '/register' | '/heartbeat',
  prefix: string,
  from: number,
  to: number,
  concurrency = 64,
  ca: Buffer | null = null,
): Promise<void> {
  const agent = keepAliveAgent(concurrency, ca);
  let next = from;
  const worker = async () => {
    while (next < to) {
      const i = next++;
      const username = `${prefix}${i}`;
      const body =
        path === '/register'
          ? JSON.stringify({ username, addr: addrOf(i) })
          : JSON.stringify({ username });
      let res = await loopbackRequest(port, 'POST', path, 10_000, body, agent);
      let retried = false;
      for (let retry = 0; res.status === 503 && retry < RETRIES_ON_503; retry++) {
        await sleep(100);
        retried = true;
        res = await loopbackRequest(port, 'POST', path, 10_000, body, agent);
      }
      // A registration can commit and still be answered 503 (the lease lapsed before the
      // answer): its retry then finds the name taken, which means it is registered.
      const committedEarlier = retried && path === '/register' && res.status === 409;
      if (res.status !== 200 && !committedEarlier) {
        throw new Error(`${path} ${username} answered ${res.status}: ${res.body.slice(0, 200)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
}
