/**
 * The presence sync of a few nodes in memory, each with its replicator, heartbeat forwarder and
 * forwarded-heartbeat handler wired as the PresenceModule wires them; frames wait on one network
 * queue until a test delivers them. For specs that follow heartbeats across a change of leader.
 */
import { SchedulerRegistry } from '@nestjs/schedule';
import { ClientStats } from '../../src/clients/client-stats';
import { ForwardedHeartbeats } from '../../src/clients/forwarded-heartbeats';
import { HeartbeatForwarder } from '../../src/clients/heartbeat-forwarder';
import { PresenceReplicator } from '../../src/clients/presence-replicator';
import { PresenceService } from '../../src/clients/presence.service';
import type { ClusterConfig } from '../../src/config/cluster-config';
import { LeadershipState } from '../../src/election/leadership-state';
import type { ReplicatedLog } from '../../src/election/replicated-log';
import type { PeerChannel, PeerFieldCheck } from '../../src/election/peer-channel';
import type { Envelope } from '../../src/election/transport/envelope';
import { FakeClock } from './fake-clock';
import { FakeChannelBase } from './fake-channel';

export const A = '127.0.0.1:7001';
export const B = '127.0.0.1:7002';
export const C = '127.0.0.1:7003';
export const D = '127.0.0.1:7004';
export const E = '127.0.0.1:7005';
export const TIMEOUT_MIN = 300;

export interface Frame {
  from: string;
  to: string;
  type: string;
  term: number;
  body: Record<string, unknown>;
}

/**
 * The presence sync of `peers` in memory: frames wait in one queue until the test delivers them,
 * in order, and links can be cut. Each frame passes its type's check, as PeerChannel.dispatch
 * does.
 */
export class Network {
  constructor(readonly peers: string[]) {}
  readonly queue: Frame[] = [];
  /** Every frame ever sent, in order. */
  readonly sent: Frame[] = [];
  readonly cut = new Set<string>();
  /** Frames of these types are lost. */
  readonly lost = new Set<string>();
  /** Stopped processes (SIGSTOP): frames to them wait in the queue, in order, till they thaw. */
  readonly frozen = new Set<string>();
  readonly channels = new Map<string, NodeChannel>();
  deliverAll(): void {
    for (let i = 0; i < 1000 && this.deliverNext(); i++);
  }
  /**
   * Delivers the first frame waiting for a node that is not frozen; what its receiver sends in
   * answer waits behind the rest. Whether there was one.
   */
  deliverNext(): boolean {
    const at = this.queue.findIndex((q) => !this.frozen.has(q.to));
    if (at < 0) return false;
    const [f] = this.queue.splice(at, 1);
    if (this.cut.has(f.from) || this.cut.has(f.to) || this.lost.has(f.type)) return true;
    this.channels.get(f.to)!.receive(f);
    return true;
  }
}

export class NodeChannel extends FakeChannelBase {
  readonly routes = new Map<string, { check: PeerFieldCheck; handle: (e: Envelope) => void }>();
  constructor(
    readonly self: string,
    private readonly net: Network,
  ) {
    super();
    net.channels.set(self, this);
  }
  get others(): string[] {
    return this.net.peers.filter((p) => p !== this.self);
  }
  on(type: string, check: PeerFieldCheck, handle: (e: Envelope) => void): void {
    this.routes.set(type, { check, handle });
  }
  send(to: string, type: string, term: number, body: Record<string, unknown>): boolean {
    if (this.net.cut.has(this.self) || this.net.cut.has(to)) return false;
    const frame = { from: this.self, to, type, term, body: structuredClone(body) };
    this.net.queue.push(frame);
    this.net.sent.push(frame);
    return true;
  }
  receive(f: Frame): void {
    const route = this.routes.get(f.type);
    if (!route) return;
    const e = { ...f.body, type: f.type, from: f.from, to: f.to, term: f.term, cpu: 0 };
    const problem = route.check(e);
    if (problem) throw new Error(`malformed ${f.type}: ${problem}`);
    route.handle(e as unknown as Envelope);
  }
}

export function makeNode(self: string, net: Network, clock: FakeClock, followerHeartbeats = true) {
  const config = {
    thisNode: self,
    peers: net.peers,
    clientTimeoutMs: 30_000,
    heartbeatIntervalMs: 50,
    electionTimeoutMinMs: TIMEOUT_MIN,
    followerHeartbeats,
  } as ClusterConfig;
  const scheduler = new SchedulerRegistry();
  // The test drives every periodic job by hand: a real timer firing on a slow machine would
  // put frames on the network that the test does not expect. An interval a provider starts
  // later is still registered, so a test can see that it runs, but it never fires.
  const register = scheduler.addInterval.bind(scheduler);
  /** Every interval a provider started, in order, the ones started at init included. */
  const intervalsStarted: string[] = [];
  scheduler.addInterval = <T>(name: string, timer: T) => {
    clearInterval(timer as NodeJS.Timeout);
    intervalsStarted.push(name);
    register(name, timer);
  };
  const channel = new NodeChannel(self, net) as unknown as PeerChannel;
  const presence = new PresenceService(config, clock, scheduler);
  const leadership = new LeadershipState();
  const stats = new ClientStats();
  /** How far the node's replicated log is applied: set by a test, read by the presence sync. */
  const log = { appliedIndex: 0 };
  const replicator = new PresenceReplicator(
    config,
    clock,
    leadership,
    presence,
    channel,
    scheduler,
    log as ReplicatedLog,
  );
  const forwarder = new HeartbeatForwarder(
    config,
    clock,
    leadership,
    replicator,
    channel,
    scheduler,
  );
  const forwarded = new ForwardedHeartbeats(
    clock,
    leadership,
    presence,
    replicator,
    channel,
    stats,
  );
  replicator.onModuleInit();
  forwarder.onModuleInit();
  forwarded.onModuleInit();
  for (const name of scheduler.getIntervals()) scheduler.deleteInterval(name);
  for (const name of scheduler.getTimeouts()) scheduler.deleteTimeout(name);
  const destroy = () => {
    forwarder.onModuleDestroy();
    replicator.onModuleDestroy();
  };
  return {
    log,
    presence,
    leadership,
    replicator,
    forwarder,
    stats,
    scheduler,
    intervalsStarted,
    destroy,
  };
}

/** The scheduled work of each node that the tests drive by hand. */
export const tick = (r: PresenceReplicator) => (r as unknown as { tick: () => void }).tick();
export const expireForwards = (f: HeartbeatForwarder) =>
  (f as unknown as { expire: () => void }).expire();
/** Lets setImmediate callbacks (batch flushes, urgent deltas) and settled promises run. */
export const turn = () => new Promise((r) => setImmediate(r));

/** Settles `p` into a result the test can look at without awaiting forever. */
export function track(p: Promise<void>) {
  const state: { settled: 'pending' | 'held' | 'refused'; error?: unknown } = {
    settled: 'pending',
  };
  p.then(
    () => (state.settled = 'held'),
    (error: unknown) => Object.assign(state, { settled: 'refused', error }),
  );
  return state;
}

/**
 * A cluster of `peers` whose first node leads in term 2, with every follower's copy whole: the
 * new leader gathered the copies, sent its full list and a first delta.
 */
export function useCluster(peers: string[]) {
  const c = {
    /** Runs the network and the event loop until nothing moves (settleAll). */
    settle: () => settleAll(c.net, c.clock),
  } as {
    net: Network;
    clock: FakeClock;
    nodes: Record<string, ReturnType<typeof makeNode>>;
    settle: () => Promise<void>;
  };
  beforeEach(async () => {
    c.net = new Network(peers);
    c.clock = new FakeClock();
    c.nodes = Object.fromEntries(peers.map((p) => [p, makeNode(p, c.net, c.clock)]));
    for (const p of peers.slice(1))
      c.nodes[p].leadership.update({ role: 'follower', term: 2, leader: A, leaderApi: null });
    c.nodes[A].leadership.update(
      { role: 'leader', term: 2, leader: A, leaderApi: null },
      () => true,
    );
    await settleAll(c.net, c.clock); // the new leader gathers the copies and sends its full list
    tick(c.nodes[A].replicator);
    await settleAll(c.net, c.clock);
  });
  afterEach(() => Object.values(c.nodes).forEach((n) => n.destroy()));
  return c;
}

/**
 * Runs the network and the event loop until nothing moves, the clock a millisecond on per
 * round: a delta holds only the changes made strictly before it was drained.
 */
export async function settleAll(net: Network, clock: FakeClock): Promise<void> {
  for (let i = 0; i < 20; i++) {
    clock.advance(1);
    net.deliverAll();
    await turn();
  }
}

export const names = (n: ReturnType<typeof makeNode>) => n.presence.list().map((c) => c.username);
export const addrOf = (n: ReturnType<typeof makeNode>) => n.presence.list().map((c) => c.addr);
export const typesSince = (net: Network, from: number) =>
  net.sent.slice(from).map((f) => `${f.type} to ${f.to}`);
