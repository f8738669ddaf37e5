import { createServer, type Server } from 'node:http';
import { adminCall } from '../../../chaos/admin-client';
import { now } from '../../../chaos/clock';
import { freePorts } from '../../support/free-port';

type Reply = { status: number; body: Record<string, unknown> };

/**
 * The chaos runner's admin calls: what is asked again (nothing can have changed) and what is
 * handed back as it is, since the change may have been made.
 */
describe('chaos admin client', () => {
  let servers: Server[] = [];
  let urls: string[] = [];
  let seen: string[][] = [];
  /** Per server, the replies to give in turn (the last one repeats). */
  let script: Reply[][] = [];

  beforeEach(async () => {
    const ports = await freePorts(3);
    urls = ports.map((p) => `http://127.0.0.1:${p}`);
    seen = ports.map(() => []);
    script = ports.map(() => []);
    // Servers 0 and 1 answer; port 2 stays closed (a node that is down).
    servers = await Promise.all(
      [0, 1].map(
        (i) =>
          new Promise<Server>((resolve) => {
            const s = createServer((req, res) => {
              seen[i].push(`${req.method} ${req.url} ${req.headers.authorization}`);
              const reply = script[i].length > 1 ? script[i].shift()! : script[i][0];
              res.writeHead(reply.status, { 'content-type': 'application/json' });
              res.end(JSON.stringify(reply.body));
            });
            s.listen(ports[i], '127.0.0.1', () => resolve(s));
          }),
      ),
    );
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  const targets = (candidates: number[]) => ({ urls, candidates: () => candidates, token: 'tok' });
  const soon = () => now() + 5_000;

  it('follows a 403 to the leader it names, with the token', async () => {
    script[0] = [{ status: 403, body: { leader_api: `${urls[1]}/` } }];
    script[1] = [{ status: 200, body: { members: [], config_index: 7 } }];
    const a = await adminCall(targets([0]), 'DELETE', '/cluster/members/x', undefined, soon());
    expect(a).toMatchObject({ status: 200, by: 1, body: { config_index: 7 } });
    expect(seen[1]).toEqual(['DELETE /cluster/members/x Bearer tok']);
  });

  it('asks again after a refused connection and a 503 from a node that knows no leader', async () => {
    script[1] = [
      { status: 503, body: { message: 'This node is not the leader and no leader is known yet' } },
      { status: 503, body: { reason: 'no-own-term-commit', message: 'not yet' } },
      { status: 409, body: { reason: 'unsafe', message: 'no' } },
    ];
    const a = await adminCall(targets([2, 1]), 'POST', '/cluster/members', {}, soon());
    expect(a).toMatchObject({ status: 409, by: 1, body: { reason: 'unsafe' } });
    expect(seen[1]).toHaveLength(3);
  });

  it('hands back a change answered "does not hold its lease": it may have been made', async () => {
    const lease = { message: 'This node is the leader but does not hold its lease yet' };
    script[0] = [{ status: 503, body: lease }];
    const change = await adminCall(targets([0]), 'POST', '/cluster/members', {}, soon());
    expect(change).toMatchObject({ status: 503 });
    expect(seen[0]).toHaveLength(1);
    // A read changes nothing: it is asked again, whatever the 503 says.
    script[0] = [
      { status: 503, body: lease },
      { status: 503, body: { message: 'other' } },
      { status: 200, body: { members: [], config_index: 3 } },
    ];
    const read = await adminCall(targets([0]), 'GET', '/cluster/members', undefined, soon());
    expect(read).toMatchObject({ status: 200, body: { config_index: 3 } });
    expect(seen[0]).toHaveLength(4);
  });

  it('gives up at the deadline when no candidate answers', async () => {
    expect(await adminCall(targets([2]), 'POST', '/x', {}, now() + 500)).toBeNull();
    expect(await adminCall(targets([]), 'GET', '/x', undefined, soon())).toBeNull();
  });
});
