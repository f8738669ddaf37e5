import request from 'supertest';
import { hashClientToken } from '../../src/clients/client-token';
import { ClientsModule } from '../../src/clients/clients.module';
import { LeadershipState } from '../../src/election/leadership-state';
import type { Envelope } from '../../src/election/transport/envelope';
import { emptyAppendEntries } from '../support/empty-append-entries';
import { waitFor } from '../support/poll';
import {
  LEADER_API,
  type ModuleApp,
  NODE,
  OTHER_PEER,
  PEER,
  PLATFORMS,
  startModuleApp,
} from './support/module-app';

const TERM = 4;
const TOKEN = 'alice-token-0123456789';

/** The leader's frames: alice's registration, committed, then its presence stream. */
const registration: Envelope = {
  ...emptyAppendEntries({ from: PEER, to: NODE, term: TERM }),
  api: LEADER_API,
  entries: [
    {
      index: 1,
      term: TERM,
      data: {
        op: 'register',
        user: {
          user_id: 'u-alice',
          username: 'alice',
          addr: '1.2.3.4:5',
          registered_at: '2026-01-01T00:00:00.000Z',
        },
        token_sha256: hashClientToken(TOKEN),
      },
    },
  ],
  leaderCommit: 1,
};
/** Bob's registration at index 2, committed with it. */
const bobsRegistration: Envelope = {
  ...emptyAppendEntries({ from: PEER, to: NODE, term: TERM }),
  api: LEADER_API,
  prevLogIndex: 1,
  prevLogTerm: TERM,
  entries: [
    {
      index: 2,
      term: TERM,
      data: {
        op: 'register',
        user: {
          user_id: 'u-bob',
          username: 'bob',
          addr: '1.2.3.6:7',
          registered_at: '2026-01-01T00:00:01.000Z',
        },
        token_sha256: hashClientToken('bob-token-0123456789'),
      },
    },
  ],
  leaderCommit: 2,
};
const keepAlive = (): Envelope => ({
  ...emptyAppendEntries({ from: PEER, to: NODE, term: TERM }),
  api: LEADER_API,
  prevLogIndex: 1,
  prevLogTerm: TERM,
  leaderCommit: 1,
});
const presenceFull = (seq: number): Envelope => ({
  type: 'PresenceFull',
  from: PEER,
  to: NODE,
  term: TERM,
  cpu: 0,
  api: LEADER_API,
  seq,
  chunk: 0,
  chunks: 1,
  records: [],
});

/** What a client sees of an answer. */
const seen = (res: request.Response) => ({
  status: res.status,
  body: res.body as unknown,
  term: res.headers['rollcall-term'],
  via: res.headers['rollcall-via'],
  retryAfter: res.headers['retry-after'],
});

/**
 * A follower with follower_heartbeats, its leader played by the test through the fake election
 * transport: the same answers on Fastify (the direct route) and on Express (Nest's guard).
 */
describe.each(PLATFORMS)('a follower taking heartbeats, on %s', (platform) => {
  let node: ModuleApp;
  afterEach(() => node.close());

  beforeEach(async () => {
    node = await startModuleApp({
      modules: [ClientsModule],
      platform,
      file: { peers: [NODE, PEER, OTHER_PEER] },
      env: { FOLLOWER_HEARTBEATS: 'true' },
    });
    node.transport.deliver(registration);
    await node.followPeer(keepAlive);
  });

  /** Acknowledges (or refuses) every batch the follower passed on, as the leader would. */
  function answerForwards(held: boolean): void {
    for (const m of node.transport.sent.splice(0)) {
      if (m.type !== 'PresenceForward') continue;
      const batch = (m as unknown as { batch: number }).batch;
      const ack = { type: 'PresenceForwardAck', from: PEER, to: NODE, term: TERM, cpu: 0, api: '' };
      node.transport.deliver({ ...ack, batches: [batch], held });
    }
  }

  it('refuses with 503 and Retry-After while it has not had the leader’s stream', async () => {
    const res = await request(node.http).post('/heartbeat').send({ username: 'alice' });
    expect(seen(res)).toEqual({
      status: 503,
      body: {
        success: false,
        message: `This follower cannot reach the leader ${PEER} to pass the heartbeat on. Retry shortly, here or on another node.`,
        current_leader: PEER,
        leader_api: LEADER_API,
      },
      term: undefined,
      via: undefined,
      retryAfter: '1',
    });
  });

  /**
   * With the leader's list in, alice's heartbeat (from 9.9.9.9:1) goes to the follower and waits
   * for the leader's answer: the request still pending, and the batch the follower passed on.
   */
  async function heartbeatPassedOn() {
    node.transport.deliver(presenceFull(0));
    const pending = request(node.http)
      .post('/heartbeat')
      .set('authorization', `Bearer ${TOKEN}`)
      .send({ username: 'alice', addr: '9.9.9.9:1' })
      .then((r) => r);
    await waitFor('the batch to go out', () =>
      node.transport.sent.some((m) => m.type === 'PresenceForward'),
    );
    const forward = node.transport.sent.find((m) => m.type === 'PresenceForward');
    return { pending, forward };
  }

  it('answers 200 once the leader acknowledged the heartbeat, naming itself', async () => {
    const { pending, forward } = await heartbeatPassedOn();
    expect(forward).toMatchObject({ to: PEER, term: TERM, beats: [['alice', '9.9.9.9:1']] });
    answerForwards(true);
    expect(seen(await pending)).toEqual({
      status: 200,
      body: { success: true, message: "Heartbeat accepted for 'alice' at 9.9.9.9:1" },
      term: String(TERM),
      via: NODE,
      retryAfter: undefined,
    });
  });

  it('answers 200 when the batch is held on the leader’s next delta instead of an ack', async () => {
    const { pending, forward } = await heartbeatPassedOn();
    const { batch } = forward as unknown as { batch: number };
    node.transport.deliver({
      type: 'PresenceDelta',
      from: PEER,
      to: NODE,
      term: TERM,
      cpu: 0,
      api: LEADER_API,
      seq: 1,
      online: [['alice', '9.9.9.9:1', 0]],
      offline: [],
      held: [batch],
    });
    expect((await pending).status).toBe(200);
    // The delta itself was applied and acknowledged as any other.
    expect(node.transport.sent.filter((m) => m.type === 'PresenceAck')).toEqual([
      expect.objectContaining({ seq: 0, full: true }),
      expect.objectContaining({ to: PEER, seq: 1, full: false }),
    ]);
  });

  it('keeps the leader’s token rules, and sends a name it does not know to the leader', async () => {
    node.transport.deliver(presenceFull(0));
    const moved = await request(node.http)
      .post('/heartbeat')
      .send({ username: 'alice', addr: '8.8.8.8:1' })
      .expect(401);
    expect(moved.headers['www-authenticate']).toBe('Bearer');
    const unknown = await request(node.http)
      .post('/heartbeat')
      .send({ username: 'nobody' })
      .expect(403);
    expect(unknown.body).toMatchObject({ current_leader: PEER, leader_api: LEADER_API });
    await request(node.http).post('/heartbeat').send({ username: 'bad name' }).expect(400);
    expect(node.transport.sent.filter((m) => m.type === 'PresenceForward')).toEqual([]);
  });

  it('answers 503 when the leader refuses the batch', async () => {
    node.transport.deliver(presenceFull(0));
    const pending = request(node.http)
      .post('/heartbeat')
      .send({ username: 'alice' })
      .then((r) => r);
    await waitFor('the batch to go out', () =>
      node.transport.sent.some((m) => m.type === 'PresenceForward'),
    );
    answerForwards(false);
    const res = await pending;
    expect([res.status, res.headers['retry-after']]).toEqual([503, '1']);
  });

  it('answers /discover and /users from its copy with follower_reads, while recent enough', async () => {
    await node.close();
    node = await startModuleApp({
      modules: [ClientsModule],
      platform,
      file: { peers: [NODE, PEER, OTHER_PEER] },
      env: { FOLLOWER_READS: 'true', FOLLOWER_READ_MAX_LAG_MS: '200' },
    });
    node.transport.deliver(registration);
    await waitFor(
      'the node to follow',
      () => node.app.get(LeadershipState).current.leader === PEER,
    );
    await request(node.http).get('/discover').expect(403); // no stream from the leader yet
    node.transport.deliver({
      ...presenceFull(0),
      records: [['alice', '1.2.3.4:5', 10]],
    });
    // Not before a delta echoes the full list's acknowledgement: until then nothing says how
    // old the list is.
    await request(node.http).get('/discover').expect(403);
    // The delta says the leader had applied its log to index 2 (bob's registration), which this
    // node has not: its list is dated, its registry not yet.
    const delta = { type: 'PresenceDelta', from: PEER, to: NODE, term: TERM, cpu: 0 };
    node.transport.deliver({
      ...delta,
      api: LEADER_API,
      seq: 1,
      online: [],
      offline: [],
      ackSeq: 0,
      ackAgoMs: 0,
      applied: 2,
    });
    await request(node.http).get('/users').expect(403);
    node.transport.deliver(bobsRegistration);
    await waitFor('the registry to catch up', async () => {
      const res = await request(node.http).get('/users');
      return res.status === 200;
    });
    const online = await request(node.http).get('/discover').expect(200);
    expect(online.body).toMatchObject({
      online_clients: [{ username: 'alice', addr: '1.2.3.4:5' }],
      count: 1,
      is_leader: false,
    });
    expect(Number(online.headers['rollcall-lag-ms'])).toBeLessThanOrEqual(200);
    expect(online.headers['rollcall-term']).toBe(String(TERM));
    const users = await request(node.http).get('/users').expect(200);
    expect(users.body).toMatchObject({
      count: 2,
      users: [{ username: 'alice' }, { username: 'bob' }],
    });
    expect(users.headers['rollcall-lag-ms']).toBeDefined();
    // No more stream: once its copy is older than the bound, the follower sends reads on.
    const stale = await waitFor('the copy to grow stale', async () => {
      const res = await request(node.http).get('/discover');
      return res.status === 403 ? res : undefined;
    });
    expect(stale.body).toMatchObject({ current_leader: PEER, leader_api: LEADER_API });
    expect(stale.headers['rollcall-lag-ms']).toBeUndefined();
    await request(node.http).get('/users').expect(403);
  });

  it('still answers 403 for the leader-only routes', async () => {
    node.transport.deliver(presenceFull(0));
    await request(node.http).get('/users').expect(403);
    await request(node.http).get('/discover').expect(403);
    await request(node.http)
      .post('/register')
      .send({ username: 'bob', addr: '1.2.3.4:5' })
      .expect(403);
  });
});
