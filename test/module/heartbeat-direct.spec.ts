import request from 'supertest';
import { ClientsModule } from '../../src/clients/clients.module';
import { HeartbeatGuard } from '../../src/clients/heartbeat.guard';
import { LeadershipState } from '../../src/election/leadership-state';
import { type Beat, BEATS, sendBeat } from '../support/heartbeat-cases';
import { waitFor } from '../support/poll';
import { type ModuleApp, type Platform, startModuleApp } from './support/module-app';

/** What a client can see of an answer: the term header only as "present", since nodes differ. */
interface Seen {
  status: number;
  body: unknown;
  contentType: string | undefined;
  term: string | undefined;
  retryAfter: string | undefined;
}

async function leaderWithAlice(
  platform: Platform,
  directHeartbeat = true,
): Promise<{ node: ModuleApp; token: string }> {
  const node = await startModuleApp({ modules: [ClientsModule], platform, directHeartbeat });
  const leadership = node.app.get(LeadershipState);
  await waitFor('the node to lead', () => leadership.canServeAsLeader());
  const res = await request(node.http)
    .post('/register')
    .send({ username: 'alice', addr: '1.2.3.4:5' })
    .expect(200);
  return { node, token: (res.body as { token: string }).token };
}

async function send(node: ModuleApp, token: string, beat: Beat): Promise<Seen> {
  const res = await sendBeat(node.http, '/heartbeat', token, beat);
  const term = String(node.app.get(LeadershipState).current.term);
  return {
    status: res.status,
    body: res.body as unknown,
    contentType: res.headers['content-type'],
    term: res.headers['rollcall-term'] === term ? 'named' : res.headers['rollcall-term'],
    retryAfter: res.headers['retry-after'],
  };
}

/**
 * On Fastify, POST /heartbeat is answered from a hook before Nest's router
 * (src/platform/fastify-heartbeat.ts), where it was answered by the controller through the
 * guards, pipes and filter. A client must not be able to tell the two apart.
 */
describe('POST /heartbeat served directly on Fastify', () => {
  const nodes: ModuleApp[] = [];
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(nodes.splice(0).map((n) => n.close()));
  });

  it("is answered before Nest's guards on Fastify, and through them on Express", async () => {
    // Nest calls a guard's canActivate on each request; the direct route asks HeartbeatAdmission.
    const guard = jest.spyOn(HeartbeatGuard.prototype, 'canActivate');
    for (const platform of ['fastify', 'express'] as const) {
      const { node } = await leaderWithAlice(platform);
      nodes.push(node);
      guard.mockClear();
      await request(node.http).post('/heartbeat').send({ username: 'alice' }).expect(200);
      expect(guard).toHaveBeenCalledTimes(platform === 'fastify' ? 0 : 1);
    }
  });

  it('answers every kind of heartbeat as the Nest route does: status, body, headers', async () => {
    const direct = await leaderWithAlice('fastify');
    const throughNest = await leaderWithAlice('fastify', false);
    nodes.push(direct.node, throughNest.node);
    for (const beat of BEATS) {
      const seen = await send(direct.node, direct.token, beat);
      const before = await send(throughNest.node, throughNest.token, beat);
      expect({ beat: beat.what, ...seen }).toEqual({ beat: beat.what, ...before });
    }
  });
});
