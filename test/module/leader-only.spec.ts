import { get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ClientsModule } from '../../src/clients/clients.module';
import { LeadershipState } from '../../src/election/leadership-state';
import type { Envelope } from '../../src/election/transport/envelope';
import { waitFor } from '../support/poll';
import { emptyAppendEntries } from '../support/empty-append-entries';
import {
  LEADER_API,
  type ModuleApp,
  NODE,
  OTHER_PEER,
  PEER,
  PLATFORMS,
  startModuleApp,
} from './support/module-app';

/** What a leader of `term` sends a follower with nothing in its log: AppendEntries, empty. */
function appendEntriesFrom(leader: string, term: number): Envelope {
  return { ...emptyAppendEntries({ from: leader, to: NODE, term }), api: LEADER_API };
}

const LEADER_ROUTES = [
  (node: ModuleApp) =>
    request(node.http).post('/register').send({ username: 'alice', addr: '1.2.3.4:5' }),
  (node: ModuleApp) => request(node.http).post('/heartbeat').send({ username: 'alice' }),
  (node: ModuleApp) => request(node.http).get('/users'),
  (node: ModuleApp) => request(node.http).get('/discover'),
];

/** The response headers of GET /discover/stream; the stream itself is left at once. */
async function streamHeaders(node: ModuleApp): Promise<IncomingHttpHeaders> {
  const server = node.app.getHttpServer() as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/discover/stream' }, (res) => {
      resolve(res.headers);
      req.destroy();
    });
    req.on('error', reject);
  });
}

describe.each(PLATFORMS)('ClientsModule on %s, with the election behind fake I/O', (platform) => {
  let node: ModuleApp;
  afterEach(() => node.close());

  describe('on the leader of a cluster of one', () => {
    let term: string;
    beforeEach(async () => {
      node = await startModuleApp({ modules: [ClientsModule], platform });
      const leadership = node.app.get(LeadershipState);
      await waitFor('the node to lead', () => leadership.canServeAsLeader());
      term = String(leadership.current.term);
    });

    it('serves each leader-only route and names the term on the answer', async () => {
      const registered = await request(node.http)
        .post('/register')
        .send({ username: 'alice', addr: '127.0.0.1:9000' })
        .expect(200);
      expect(registered.headers['rollcall-term']).toBe(term);
      const beat = await request(node.http)
        .post('/heartbeat')
        .set('Authorization', `Bearer ${registered.body.token}`)
        .send({ username: 'alice' })
        .expect(200);
      expect(beat.headers['rollcall-term']).toBe(term);
      const users = await request(node.http).get('/users').expect(200);
      expect(users.body.count).toBe(1);
      expect(users.headers['rollcall-term']).toBe(term);
      const online = await request(node.http).get('/discover').expect(200);
      expect(online.headers['rollcall-term']).toBe(term);
      expect(online.headers['content-type']).toBe('application/json; charset=utf-8');
    });

    it('names the term also on the errors a leader answers after letting the request in', async () => {
      const invalid = await request(node.http)
        .post('/register')
        .send({ username: 'bad name' })
        .expect(400);
      expect(invalid.headers['rollcall-term']).toBe(term);
      await request(node.http)
        .post('/register')
        .send({ username: 'bob', addr: '127.0.0.1:9000' })
        .expect(200);
      const taken = await request(node.http)
        .post('/register')
        .send({ username: 'bob', addr: '127.0.0.1:9001' })
        .expect(409);
      expect(taken.headers['rollcall-term']).toBe(term);
      const unknown = await request(node.http)
        .post('/heartbeat')
        .send({ username: 'nobody' })
        .expect(404);
      expect(unknown.headers['rollcall-term']).toBe(term);
    });

    it('names the term on the discover stream', async () => {
      const headers = await streamHeaders(node);
      expect(headers['content-type']).toMatch(/^text\/event-stream/);
      expect(headers['rollcall-term']).toBe(term);
    });

    it('never names a term on routes outside ClientsModule', async () => {
      const missing = await request(node.http).get('/no-such-route').expect(404);
      expect(missing.headers['rollcall-term']).toBeUndefined();
    });
  });

  describe('on a follower of a cluster of three', () => {
    beforeEach(async () => {
      node = await startModuleApp({
        modules: [ClientsModule],
        platform,
        file: { peers: [NODE, PEER, OTHER_PEER] },
      });
    });

    it('answers 503 with Retry-After and no term while no leader is known', async () => {
      for (const call of LEADER_ROUTES) {
        const res = await call(node).expect(503).expect('Retry-After', '1');
        expect(res.headers['rollcall-term']).toBeUndefined();
        expect(res.body).toMatchObject({ current_leader: null, leader_api: null });
      }
    });

    it('answers 403 naming the leader it follows, with no term header', async () => {
      await node.followPeer(() => appendEntriesFrom(PEER, 4));
      for (const call of LEADER_ROUTES) {
        const res = await call(node).expect(403);
        expect(res.headers['rollcall-term']).toBeUndefined();
        expect(res.body).toEqual({
          success: false,
          message: `This node is not the leader. Current leader: ${PEER}`,
          current_leader: PEER,
          leader_api: LEADER_API,
        });
      }
    });
  });
});
