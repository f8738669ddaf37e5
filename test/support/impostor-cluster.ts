import { join } from 'node:path';
import { TcpTransport, type TransportOptions } from '../../src/election/transport/tcp-transport';
import type { HealthDto } from '../../src/health/health.dto';
import { emptyAppendEntries } from './empty-append-entries';
import { freePorts } from './free-port';
import { NodeProcess, writeClusterConfig } from './node-process';
import { waitFor } from './poll';
import { makeTempDir } from './temp-dir';

/** How the impostor's transport proves itself (or fails to): a secret, a certificate, nothing. */
export type ImpostorCredentials = Pick<TransportOptions, 'secret' | 'tls'>;

/**
 * Three real nodes whose `peers` list a fourth member that the test itself plays, with the real
 * transport: the harness of the attacks on the election port (CLUSTER_SECRET, peer TLS).
 */
export class ImpostorCluster {
  readonly nodes: NodeProcess[] = [];
  ids: string[] = [];
  private readonly tmp = makeTempDir('rollcall-impostor-');
  private attacker: TcpTransport | null = null;

  get dir(): string {
    return this.tmp.dir;
  }

  /** The fourth member's election address. */
  get impostor(): string {
    return this.ids[3];
  }

  /** Starts the three real nodes, node i with `envOf(i)`. */
  async start(envOf: (i: number) => Record<string, string>): Promise<void> {
    const ports = await freePorts(7);
    this.ids = ports.slice(0, 4).map((p) => `127.0.0.1:${p}`);
    const config = writeClusterConfig(this.tmp.dir, { peers: this.ids });
    for (let i = 0; i < 3; i++) {
      this.nodes.push(
        new NodeProcess({
          config,
          thisNode: this.ids[i],
          apiPort: ports[4 + i],
          dataDir: join(this.tmp.dir, `data-${i}`),
          env: envOf(i),
        }),
      );
    }
    await Promise.all(this.nodes.map((n) => n.waitUntilServing()));
  }

  all(): Promise<HealthDto[]> {
    return Promise.all(this.nodes.map((n) => n.health()));
  }

  /** One leader among the three real nodes, named by all of them, serving leader-only routes. */
  waitForLeader(): Promise<NodeProcess> {
    return waitFor('one leader among the real nodes', async () => {
      const hs = await this.all();
      const leaders = hs.filter((h) => h.is_leader);
      if (leaders.length !== 1) return undefined;
      const leader = this.nodes[hs.indexOf(leaders[0])];
      if (!hs.every((h) => h.current_leader === leaders[0].current_leader)) return undefined;
      return (await fetch(`${leader.url}/users`)).status === 200 ? leader : undefined;
    });
  }

  /** Registers alice through the leader and waits until every node has her: the log replicates. */
  async registerEverywhere(): Promise<void> {
    const leader = await this.waitForLeader();
    const res = await fetch(`${leader.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', addr: '10.0.0.1:9000' }),
    });
    expect(res.status).toBe(200);
    await waitFor('alice on every node', async () =>
      (await this.all()).every((h) => h.registered_count === 1),
    );
  }

  /**
   * Attacks until every node has refused the impostor three times (see attackUntilRefused): no
   * term and no leader may move, and the leader still serves.
   */
  async expectRefused(credentials: ImpostorCredentials, refusal: RegExp): Promise<void> {
    const { leader, before, seen } = await this.attackUntilRefused(credentials, refusal);
    expect(seen.length).toBeGreaterThanOrEqual(6);
    for (const h of seen) {
      expect({ term: h.term, leader: h.current_leader }).toEqual({
        term: before[0].term,
        leader: before[0].current_leader,
      });
    }
    expect((await fetch(`${leader.url}/users`)).status).toBe(200);
  }

  /**
   * Attacks with credentials the nodes accept until one adopts the impostor's term 50 up (so the
   * refused attacks were real ones), then stops it and waits for the three to elect a leader again.
   */
  async expectTakeover(credentials: ImpostorCredentials): Promise<void> {
    await this.waitForLeader();
    const before = Math.max(...(await this.all()).map((h) => h.term));
    const stop = await this.attack(credentials);
    try {
      await waitFor('a node to adopt the impostor term', async () =>
        (await this.all()).some((h) => h.term >= before + 50),
      );
    } finally {
      stop();
    }
    await this.stopAttacker();
    await this.waitForLeader();
  }

  /**
   * Attacks with `credentials` until every real node has logged `refusal` three more times,
   * reading every node's GET / all the while: the leader and the views from before the attack,
   * and every view seen during and right after it, for the test to check that none moved.
   */
  async attackUntilRefused(
    credentials: ImpostorCredentials,
    refusal: RegExp,
  ): Promise<{ leader: NodeProcess; before: HealthDto[]; seen: HealthDto[] }> {
    const leader = await this.waitForLeader();
    const before = await this.all();
    const seen: HealthDto[] = [];
    const counts = () => this.nodes.map((n) => n.lines.filter((l) => refusal.test(l)).length);
    const start = counts();
    const stop = await this.attack(credentials);
    try {
      await waitFor('every node to refuse the impostor three times', async () => {
        seen.push(...(await this.all()));
        return counts().every((c, i) => c >= start[i] + 3);
      });
    } finally {
      stop();
    }
    seen.push(...(await this.all()));
    return { leader, before, seen };
  }

  /**
   * Plays the fourth member: claims leadership 50 terms up, asks for votes, orders elections,
   * every 20 ms, until the returned function is called.
   */
  async attack(credentials: ImpostorCredentials): Promise<() => void> {
    const impostor = this.impostor;
    const attacker = new TcpTransport({
      self: impostor,
      bind: { host: '127.0.0.1', port: Number(impostor.split(':')[1]) },
      peers: this.ids,
      api: 'http://127.0.0.1:1',
      netTimeoutMs: 200,
      retryMs: 20,
      keepaliveMs: 50,
      random: Math.random,
      ...credentials,
    });
    this.attacker = attacker;
    await attacker.start({ message: () => undefined, unreachable: () => undefined });
    const term = Math.max(...(await this.all()).map((h) => h.term)) + 50;
    const send = (message: { to: string; [field: string]: unknown }) => attacker.send(message);
    const timer = setInterval(() => {
      for (const to of this.ids.slice(0, 3)) {
        const base = { from: impostor, to, term, cpu: 0 };
        send(emptyAppendEntries({ from: impostor, to, term }));
        send({
          ...base,
          type: 'RequestVote',
          lastLogIndex: 1e9,
          lastLogTerm: term,
          transfer: true,
          leaseRevokedAt: null,
        });
        send({ ...base, type: 'TimeoutNow' });
      }
    }, 20);
    return () => clearInterval(timer);
  }

  /** Ends the impostor's transport (between tests). */
  async stopAttacker(): Promise<void> {
    await this.attacker?.stop();
    this.attacker = null;
  }

  async stop(): Promise<void> {
    await this.stopAttacker();
    await Promise.all(this.nodes.map((n) => n.kill()));
    this.tmp.cleanup();
  }
}
