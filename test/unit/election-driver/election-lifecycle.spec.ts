import type { ClusterConfig } from '../../../src/config/cluster-config';
import type { Entry, HardState } from '../../../src/election/consensus/core-options';
import type {
  ElectionTransport,
  HardStateStore,
  TransportHandlers,
} from '../../../src/election/election-io';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ElectionLifecycle } from '../../../src/election/election-lifecycle';
import { LeadershipPublisher } from '../../../src/election/leadership-publisher';
import { LeadershipState } from '../../../src/election/leadership-state';
import { LogStorage } from '../../../src/election/log-storage';
import { PeerDirectory } from '../../../src/election/peer-directory';
import { ReplicatedLog } from '../../../src/election/replicated-log';
import { ShutdownHandover } from '../../../src/election/shutdown-handover';
import type { Envelope } from '../../../src/election/transport/envelope';
import { FakeClock } from '../../support/fake-clock';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const C = '127.0.0.1:7003';

const config = {
  thisNode: A,
  peers: [A, B, C],
  electionBind: { host: '127.0.0.1', port: 7001 },
  apiUrl: 'http://127.0.0.1:3000',
  heartbeatIntervalMs: 50,
  electionTimeoutMinMs: 300,
  electionTimeoutMaxMs: 600,
  leaderTermMs: 5000,
  netTimeoutMs: 200,
  cpuRefreshMs: 100,
  electionRetryMs: 50,
  cpuHysteresisPct: 10,
} as ClusterConfig;

/** Records, in one sequence, every vote written and every message sent. */
class Recorder implements ElectionTransport, HardStateStore {
  readonly events: string[] = [];
  handlers: TransportHandlers | null = null;
  failSave = false;
  saved: HardState = { term: 0, votedFor: null };

  start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers;
    return Promise.resolve();
  }
  send(m: { to: string }): boolean {
    const msg = m as { type: string; to: string; term: number; granted?: boolean };
    this.events.push(
      `send ${msg.type} to ${msg.to} term ${msg.term}${msg.granted === undefined ? '' : ` granted=${msg.granted}`}`,
    );
    return true;
  }
  sendJson(to: string, json: string): boolean {
    return this.send({ ...(JSON.parse(json) as object), to });
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  load(): HardState {
    return this.saved;
  }
  save(state: HardState): void {
    if (this.failSave) throw new Error('disk full');
    this.saved = state;
    this.events.push(`save term ${state.term} vote ${state.votedFor}`);
  }
}

describe('ElectionLifecycle and ReplicatedLog (the driver around the core)', () => {
  let rec: Recorder;
  let service: ElectionLifecycle;
  let log: ReplicatedLog;
  let fatal: jest.Mock;
  let clock: FakeClock;
  let leadership: LeadershipState;

  /** Starts node A on what its disk holds: the Recorder's vote, and these log entries. */
  async function start(onDisk: Entry[] = []): Promise<void> {
    fatal = jest.fn();
    const file = {
      open: () => Promise.resolve({ snapshot: null, entries: onDisk }),
      append: () => Promise.resolve(),
      installSnapshot: () => Promise.resolve(),
      saveSnapshot: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    clock = new FakeClock();
    leadership = new LeadershipState();
    const peers = new PeerDirectory(clock);
    const scheduler = new SchedulerRegistry();
    const publisher = new LeadershipPublisher(config, leadership, peers);
    const storage = new LogStorage(config, clock, rec, file);
    log = new ReplicatedLog(config, clock, rec, storage, fatal, publisher, scheduler);
    const handover = new ShutdownHandover(config, clock, leadership, log);
    const sampler = { sample: () => ({ machine: 10, background: 8 }) };
    service = new ElectionLifecycle(config, rec, sampler, log, peers, handover, scheduler);
    await service.onApplicationBootstrap();
  }

  beforeEach(async () => {
    rec = new Recorder();
    await start();
  });
  afterEach(() => service.onModuleDestroy());

  const requestVote = (term: number): Envelope => ({
    type: 'RequestVote',
    from: B,
    to: A,
    term,
    cpu: 5,
    api: 'http://127.0.0.1:3001',
    lastLogIndex: 0,
    lastLogTerm: 0,
    transfer: false,
    leaseRevokedAt: null,
  });

  /** Lets the driver's persist-then-send pass run. */
  const settle = () => log.settled;

  /** A message to A from `peer`, as the transport hands it over. */
  const from = (peer: string, type: string, term: number, fields: Record<string, unknown>) =>
    rec.handlers!.message({ type, from: peer, to: A, term, cpu: 5, api: 'x', ...fields });

  /** A's election timeout runs out, and both peers grant its pre-vote for `term`. */
  async function winPreVote(term = 1): Promise<void> {
    clock.advance(1000);
    (log as unknown as { tick: () => void }).tick();
    await settle();
    from(B, 'PreVoteResponse', term, { granted: true });
    from(C, 'PreVoteResponse', term, { granted: true });
    await settle();
  }

  it('writes the vote to disk before the vote leaves', async () => {
    rec.events.length = 0;
    rec.handlers!.message(requestVote(5));
    await settle();
    expect(rec.events).toEqual([
      `save term 5 vote ${B}`,
      `send RequestVoteResponse to ${B} term 5 granted=true`,
    ]);
  });

  it('stops instead of sending a vote it could not write', async () => {
    rec.events.length = 0;
    rec.failSave = true;
    rec.handlers!.message(requestVote(6));
    await settle();
    expect(fatal).toHaveBeenCalledWith(
      'cannot persist the election state or the log',
      expect.any(Error),
    );
    expect(rec.events).toEqual([]);
  });

  it('refuses a malformed message by throwing, which costs the sender its connection', () => {
    expect(() => rec.handlers!.message({ ...requestVote(7), transfer: 'yes' })).toThrow(
      'malformed RequestVote message',
    );
    expect(rec.events.filter((e) => e.includes('term 7'))).toEqual([]);
  });

  it('lets the presence hand over its last words before it asks the successor to take over', async () => {
    // Elected: a pre-vote round (every answer in), then a vote round won with B's vote.
    await winPreVote();
    from(B, 'RequestVoteResponse', 1, { granted: true, leaseWaitMs: 0 });
    await settle();
    expect(leadership.current.role).toBe('leader');
    // B holds the log (the leader's no-op), so it can take over.
    for (const peer of [B, C]) {
      from(peer, 'HeartbeatResponse', 1, {
        sentAt: clock.monotonicMs(),
        lastLogIndex: 1,
        success: true,
        matchIndex: 1,
      });
    }
    await settle();
    leadership.onHandover((successor) => rec.events.push(`hand over to ${successor}`));
    rec.events.length = 0;
    const stopping = service.onModuleDestroy();
    clock.advance(2000); // nobody takes over here: let the wait for a successor run out
    await stopping;
    const handover = rec.events.indexOf(`hand over to ${B}`);
    expect(handover).toBeGreaterThanOrEqual(0);
    expect(rec.events[handover + 1]).toBe(`send TimeoutNow to ${B} term 1`);
  });

  it('tells LeadershipState as AppendEntries leave, after the view says who leads', async () => {
    const told: string[] = [];
    leadership.onAppendsSent(() => told.push(`${leadership.current.role} ${rec.events.at(-1)}`));
    await winPreVote();
    expect(told).toEqual([]); // pre-votes and votes are no AppendEntries
    from(B, 'RequestVoteResponse', 1, { granted: true, leaseWaitMs: 0 });
    await settle();
    // Elected: the no-op goes to both followers, and the view already says leader.
    expect(told).toEqual([`leader send Heartbeat to ${C} term 1`]);
  });

  it('serves as leader only once it has applied an entry of its own term', async () => {
    // A holds a registration of term 1 that the old leader committed and answered 200, but A
    // never heard the commit: until its own no-op commits, A cannot tell what is committed.
    await service.onModuleDestroy();
    rec.saved = { term: 1, votedFor: null };
    await start([{ index: 1, term: 1, data: { username: 'alice' } }]);
    const applied: unknown[] = [];
    log.attach({
      apply: (_i, data) => applied.push(data),
      snapshot: () => null,
      restore: () => {},
    });
    await winPreVote(2);
    from(B, 'RequestVoteResponse', 2, { granted: true, leaseWaitMs: 0 });
    await settle();
    expect(leadership.current.role).toBe('leader');
    // Both followers answer its no-op at once: they lack entry 1, so they refuse it. Their
    // answers back the lease all the same.
    const sentAt = clock.monotonicMs();
    for (const peer of [B, C]) {
      from(peer, 'HeartbeatResponse', 2, {
        sentAt,
        lastLogIndex: 0,
        success: false,
        matchIndex: 0,
      });
    }
    await settle();
    expect(applied).toEqual([]);
    expect(leadership.canServeAsLeader()).toBe(false); // its /users would lack alice
    // B takes the entries and the no-op commits: entry 1 is applied before A serves.
    from(B, 'HeartbeatResponse', 2, { sentAt, lastLogIndex: 2, success: true, matchIndex: 2 });
    await settle();
    expect(applied).toEqual([{ username: 'alice' }, null]);
    expect(leadership.canServeAsLeader()).toBe(true);
    const stopping = service.onModuleDestroy();
    clock.advance(2000); // a leader that stops waits for a successor: nobody takes over here
    await stopping;
  });
});
