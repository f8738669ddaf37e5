import { run } from '../../../src/ops-cli/program';
import { closedPort, FakeNode, json } from '../sdk/fake-node';

/** A node that answers GET / and GET /cluster as a real one of a two-node cluster would. */
function member(self: string, isLeader: boolean, leader: string | null, applied: number) {
  return new FakeNode((req, _body, res) => {
    if (req.url === '/') {
      return json(res, 200, {
        node: self,
        is_leader: isLeader,
        current_leader: leader,
        term: 4,
        log: { last_index: applied, commit_index: applied, applied_index: applied, commit_lag: 0 },
      });
    }
    json(res, 200, {
      nodes: ['127.0.0.1:8080', '127.0.0.1:8081'].map((node) => ({
        node,
        api: null,
        role: 'unknown',
        term: null,
        cpu: 12,
        background: 3,
        last_contact_ms: node === self ? 0 : 40,
        reachable: true,
      })),
    });
  });
}

describe('rollcall status', () => {
  const nodes: FakeNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });
  const status = async (endpoints: string[], ...args: string[]) => {
    let out = '';
    let err = '';
    const code = await run(['status', ...args], {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { ROLLCALL_ENDPOINTS: endpoints.join(',') },
    });
    return { code, out, err };
  };

  it('shows each member with its lag behind the leader, and exits 0', async () => {
    nodes.push(await member('127.0.0.1:8080', true, '127.0.0.1:8080', 10).start());
    nodes.push(await member('127.0.0.1:8081', false, '127.0.0.1:8080', 7).start());
    const { code, out } = await status(nodes.map((n) => n.url));
    expect(code).toBe(0);
    expect(out).toMatch(/^NODE +ROLE +TERM +LEADER +LOG LAG +LOAD +LAST CONTACT +API\n/);
    expect(out).toMatch(/127\.0\.0\.1:8081 +follower +4 +127\.0\.0\.1:8080 +3 +12% +40 ms/);
    expect(out).toMatch(/leader 127\.0\.0\.1:8080 in term 4\n$/);
  });

  it('exits 1 when no node that answered leads, naming the ones that did not answer', async () => {
    nodes.push(await member('127.0.0.1:8081', false, null, 7).start());
    const gone = await closedPort();
    const { code, out } = await status([nodes[0].url, gone], '--json');
    expect(code).toBe(1);
    const body = JSON.parse(out) as { leader: null; unreachable: { endpoint: string }[] };
    expect(body.leader).toBeNull();
    expect(body.unreachable.map((u) => u.endpoint)).toEqual([gone]);
    const text = await status([nodes[0].url]);
    expect(text.code).toBe(1);
    expect(text.out).toContain('no leader: no endpoint that answered is a leader');
  });
});
