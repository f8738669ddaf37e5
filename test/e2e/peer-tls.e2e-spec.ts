import { join } from 'node:path';
import { ReloadableTls } from '../../src/common/reloadable-tls';
import { TcpTransport } from '../../src/election/transport/tcp-transport';
import { emptyAppendEntries } from '../support/empty-append-entries';
import { freePorts } from '../support/free-port';
import { NodeProcess, writeClusterConfig } from '../support/node-process';
import { waitFor } from '../support/poll';
import { makeTempDir } from '../support/temp-dir';
import { makeCa, makeLeaf, type LeafFiles, type TestCa } from '../support/test-certs';

interface Health {
  is_leader: boolean;
  current_leader: string | null;
  term: number;
  registered_count: number;
}

/**
 * Three real nodes with mutual TLS on the election port; a fourth member listed in `peers` is
 * played by this test with the real transport: first in plaintext, then with a certificate from
 * another CA, then (to show the attack itself works) with one from the cluster's CA.
 */
describe('peer TLS between real nodes', () => {
  const tmp = makeTempDir('rollcall-peer-tls-');
  const nodes: NodeProcess[] = [];
  let ids: string[];
  let impostor: string;
  let ca: TestCa;
  let attacker: TcpTransport | null = null;

  const health = async (n: NodeProcess) => (await n.health()) as unknown as Health;
  const all = () => Promise.all(nodes.map(health));

  const waitForLeader = () =>
    waitFor('one leader among the real nodes', async () => {
      const hs = await all();
      const leaders = hs.filter((h) => h.is_leader);
      if (leaders.length !== 1) return undefined;
      const leader = nodes[hs.indexOf(leaders[0])];
      if (!hs.every((h) => h.current_leader === leaders[0].current_leader)) return undefined;
      return (await fetch(`${leader.url}/users`)).status === 200 ? leader : undefined;
    });

  beforeAll(async () => {
    ca = makeCa(tmp.dir, 'cluster-ca');
    const ports = await freePorts(7);
    ids = ports.slice(0, 4).map((p) => `127.0.0.1:${p}`);
    impostor = ids[3];
    const config = writeClusterConfig(tmp.dir, { peers: ids });
    for (let i = 0; i < 3; i++) {
      const leaf = makeLeaf(tmp.dir, ca, `node-${i}`);
      nodes.push(
        new NodeProcess({
          config,
          thisNode: ids[i],
          apiPort: ports[4 + i],
          dataDir: join(tmp.dir, `data-${i}`),
          env: {
            PEER_TLS_CERT_FILE: leaf.certFile,
            PEER_TLS_KEY_FILE: leaf.keyFile,
            PEER_TLS_CA_FILE: ca.certFile,
          },
        }),
      );
    }
    await Promise.all(nodes.map((n) => n.waitUntilServing()));
  });

  afterEach(async () => {
    await attacker?.stop();
    attacker = null;
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    tmp.cleanup();
  });

  /**
   * Plays the fourth member: claims leadership 50 terms up, asks for votes, orders elections,
   * every 20 ms. `leaf` null speaks plaintext; a leaf trusts the cluster's CA, so only the
   * nodes' check of its own certificate stands in its way.
   */
  async function attack(leaf: LeafFiles | null): Promise<() => void> {
    const port = Number(impostor.split(':')[1]);
    attacker = new TcpTransport({
      self: impostor,
      bind: { host: '127.0.0.1', port },
      peers: ids,
      api: 'https://127.0.0.1:1',
      netTimeoutMs: 200,
      retryMs: 20,
      keepaliveMs: 50,
      random: Math.random,
      tls: leaf ? new ReloadableTls('impostor', { ...leaf, caFile: ca.certFile }) : null,
    });
    await attacker.start({ message: () => undefined, unreachable: () => undefined });
    const term = Math.max(...(await all()).map((h) => h.term)) + 50;
    const send = (message: { to: string; [field: string]: unknown }) => attacker?.send(message);
    const timer = setInterval(() => {
      for (const to of ids.slice(0, 3)) {
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

  /** Attacks until every node has refused the impostor three times; no term may move. */
  async function expectRefused(leaf: LeafFiles | null, refusal: RegExp): Promise<void> {
    const leader = await waitForLeader();
    const before = await all();
    const seen: Health[] = [];
    const counts = () => nodes.map((n) => n.lines.filter((l) => refusal.test(l)).length);
    const start = counts();
    const stop = await attack(leaf);
    try {
      await waitFor('every node to refuse the impostor three times', async () => {
        seen.push(...(await all()));
        return counts().every((c, i) => c >= start[i] + 3);
      });
    } finally {
      stop();
    }
    seen.push(...(await all()));
    expect(seen.length).toBeGreaterThanOrEqual(6);
    for (const h of seen) {
      expect({ term: h.term, leader: h.current_leader }).toEqual({
        term: before[0].term,
        leader: before[0].current_leader,
      });
    }
    expect((await fetch(`${leader.url}/users`)).status).toBe(200);
  }

  it('elects a leader and replicates a registration over mutual TLS', async () => {
    const leader = await waitForLeader();
    const res = await fetch(`${leader.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', addr: '10.0.0.1:9000' }),
    });
    expect(res.status).toBe(200);
    await waitFor('alice on every node', async () =>
      (await all()).every((h) => h.registered_count === 1),
    );
    for (const n of nodes) {
      expect(n.lines.join('\n')).toContain('peer TLS: mutual TLS 1.3');
    }
    // Said on / and /cluster as booleans, and never which files.
    for (const n of nodes) {
      const root = await n.health();
      const cluster = (await (await fetch(`${n.url}/cluster`)).json()) as Record<string, unknown>;
      for (const answer of [root, cluster]) {
        expect({ peer: answer.peer_tls, api: answer.api_tls }).toEqual({ peer: true, api: false });
        expect(JSON.stringify(answer)).not.toMatch(/\.crt|\.key|cluster-ca/);
      }
    }
  });

  it('a plaintext member claiming leadership 50 terms up moves no term', async () => {
    await expectRefused(
      null,
      /closing election connection from 127\.0\.0\.1:\d+: TLS handshake failed/,
    );
  });

  it('a member with a certificate from another CA moves no term either', async () => {
    const otherCa = makeCa(tmp.dir, 'other-ca');
    await expectRefused(
      makeLeaf(tmp.dir, otherCa, 'impostor-other-ca'),
      /closing election connection from 127\.0\.0\.1:\d+: its certificate is not trusted/,
    );
  });

  it('the same member with a certificate of the cluster CA does take over: the attack was real', async () => {
    await waitForLeader();
    const before = Math.max(...(await all()).map((h) => h.term));
    const stop = await attack(makeLeaf(tmp.dir, ca, 'impostor-right-ca'));
    try {
      await waitFor('a node to adopt the impostor term', async () =>
        (await all()).some((h) => h.term >= before + 50),
      );
    } finally {
      stop();
    }
    await attacker?.stop();
    attacker = null;
    await waitForLeader();
  });
});
