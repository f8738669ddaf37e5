import { buildClusterView, type PeerSignals } from '../../../src/election/cluster-view';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const C = '127.0.0.1:7003';
const self = { node: B, api: 'http://127.0.0.1:3001' };

const signals = (over: Partial<PeerSignals> = {}): PeerSignals => ({
  api: (p) => `http://api-of-${p}`,
  heardAt: () => 990,
  connected: () => true,
  silenceLimitMs: 350,
  ...over,
});

const peer = (id: string, over: object = {}) => ({
  id,
  cpu: 20,
  background: 15,
  lastContact: 980,
  unreachableSince: null,
  ...over,
});

describe('buildClusterView', () => {
  const status = (peers: ReturnType<typeof peer>[], role = 'follower' as const) => ({
    role,
    term: 4,
    leader: A,
    cpu: 10,
    background: 3,
    peers,
  });

  it('gives this node exactly and its peers as last heard, in address order', () => {
    const v = buildClusterView(status([peer(A), peer(C)]), self, signals(), 1000);
    expect(v).toEqual({
      leader: A,
      term: 4,
      nodes: [
        {
          node: A,
          api: `http://api-of-${A}`,
          role: 'leader',
          term: 4,
          cpu: 20,
          background: 15,
          last_contact_ms: 10,
          reachable: true,
        },
        {
          node: B,
          api: self.api,
          role: 'follower',
          term: 4,
          cpu: 10,
          background: 3,
          last_contact_ms: 0,
          reachable: true,
        },
        // A fellow follower's term is not ours to vouch for.
        {
          node: C,
          api: `http://api-of-${C}`,
          role: 'follower',
          term: null,
          cpu: 20,
          background: 15,
          last_contact_ms: 10,
          reachable: true,
        },
      ],
    });
  });

  it('counts a keepalive heard after a refusal as the peer being back', () => {
    const back = buildClusterView(
      status([peer(A), peer(C, { lastContact: null, unreachableSince: 900 })]),
      self,
      signals({ heardAt: (p) => (p === C ? 950 : 990) }),
      1000,
    );
    expect(back.nodes[2]).toMatchObject({ node: C, reachable: true, last_contact_ms: 50 });
    const gone = buildClusterView(
      status([peer(A), peer(C, { lastContact: 800, unreachableSince: 900 })]),
      self,
      signals({ heardAt: (p) => (p === C ? 850 : 990) }),
      1000,
    );
    expect(gone.nodes[2]).toMatchObject({ node: C, reachable: false, role: 'unknown' });
  });

  it('calls a peer unreachable when silent too long, never heard, or its link is down', () => {
    const silent = buildClusterView(
      status([peer(A, { lastContact: 500 }), peer(C, { lastContact: 500 })]),
      self,
      signals({ heardAt: () => 500 }),
      1000,
    );
    expect(silent.nodes.map((n) => n.reachable)).toEqual([false, true, false]);
    const never = buildClusterView(
      status([peer(A), peer(C, { lastContact: null, cpu: null, background: null })]),
      self,
      signals({ heardAt: (p) => (p === C ? null : 990), api: (p) => (p === C ? null : 'x') }),
      1000,
    );
    expect(never.nodes[2]).toEqual({
      node: C,
      api: null,
      role: 'unknown',
      term: null,
      cpu: null,
      background: null,
      last_contact_ms: null,
      reachable: false,
    });
    const down = buildClusterView(
      status([peer(A), peer(C)]),
      self,
      signals({ connected: (p) => p !== C }),
      1000,
    );
    expect(down.nodes[2].reachable).toBe(false);
  });

  it('vouches for the term of followers that a leader hears', () => {
    const v = buildClusterView(
      { ...status([peer(A), peer(C)], 'leader' as never), leader: B },
      self,
      signals(),
      1000,
    );
    expect(v.nodes.map((n) => [n.role, n.term])).toEqual([
      ['follower', 4],
      ['leader', 4],
      ['follower', 4],
    ]);
  });
});
