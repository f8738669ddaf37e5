import type { IncomingMessage, ServerResponse } from 'node:http';
import { run } from '../../../src/ops-cli/program';
import { FakeNode, json } from '../sdk/fake-node';

const TOKEN = 'unit-admin-token-0123456789';
const MEMBERS = {
  members: [
    {
      node: '127.0.0.1:8080',
      api_url: 'http://127.0.0.1:3000',
      role: 'voter',
      match_index: 12,
      reachable: true,
    },
    {
      node: '127.0.0.1:8083',
      api_url: 'http://127.0.0.1:3003',
      role: 'learner',
      match_index: 9,
      reachable: false,
    },
  ],
  config_index: 7,
};

/** A leader that serves the documented /cluster/members routes, checking the token. */
function leaderRoutes(req: IncomingMessage, _body: string, res: ServerResponse): void {
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    return json(res, 401, { success: false, message: 'The admin token is wrong' });
  }
  if (req.url === '/cluster/members/127.0.0.1%3A8083/promote' && req.method === 'POST') {
    return json(res, 409, { success: false, message: '127.0.0.1:8083 is 3 entries behind' });
  }
  if (req.url?.startsWith('/cluster/members')) return json(res, 200, MEMBERS);
  json(res, 404, { success: false, message: 'no route' });
}

describe('rollcall members, against a fake leader', () => {
  let leader: FakeNode;
  let follower: FakeNode;
  let out: string;
  let err: string;
  const rollcall = (...args: string[]) =>
    run(args, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { ROLLCALL_ENDPOINTS: follower.url, ROLLCALL_ADMIN_TOKEN: TOKEN },
    });

  beforeEach(async () => {
    out = '';
    err = '';
    leader = await new FakeNode(leaderRoutes).start();
    // The follower points at the leader, as a real one answers a leader-only route.
    follower = await new FakeNode((_req, _body, res) =>
      json(res, 403, {
        success: false,
        message: 'This node is not the leader. Current leader: 127.0.0.1:8080',
        current_leader: '127.0.0.1:8080',
        leader_api: leader.url,
      }),
    ).start();
  });
  afterEach(async () => {
    await leader.stop();
    await follower.stop();
  });

  it('list follows the leader and prints a table', async () => {
    expect(await rollcall('members', 'list')).toBe(0);
    expect(out).toMatch(/^NODE +ROLE +MATCH INDEX +REACHABLE +API\n/);
    expect(out).toMatch(/127\.0\.0\.1:8083 +learner +9 +no +http:\/\/127\.0\.0\.1:3003/);
    expect(out).toContain('configuration at log index 7');
    expect(leader.requests[0]).toMatchObject({ method: 'GET', url: '/cluster/members' });
  });

  it('list --json prints the answer as it came', async () => {
    expect(await rollcall('members', 'list', '--json')).toBe(0);
    expect(JSON.parse(out)).toEqual(MEMBERS);
  });

  it('add posts the documented body, a learner unless --voter', async () => {
    expect(
      await rollcall('members', 'add', '127.0.0.1:8083', '--api-url', 'http://127.0.0.1:3003'),
    ).toBe(0);
    expect(
      await rollcall(
        'members',
        'add',
        '127.0.0.1:8084',
        '--api-url',
        'http://127.0.0.1:3004',
        '--voter',
      ),
    ).toBe(0);
    const posts = leader.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => [r.url, JSON.parse(r.body) as unknown])).toEqual([
      [
        '/cluster/members',
        { node: '127.0.0.1:8083', api_url: 'http://127.0.0.1:3003', learner: true },
      ],
      [
        '/cluster/members',
        { node: '127.0.0.1:8084', api_url: 'http://127.0.0.1:3004', learner: false },
      ],
    ]);
  });

  it('remove sends DELETE for the node', async () => {
    expect(await rollcall('members', 'remove', '127.0.0.1:8083')).toBe(0);
    expect(leader.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      url: '/cluster/members/127.0.0.1%3A8083',
    });
  });

  it("promote reports the leader's refusal in one line and exits 1", async () => {
    expect(await rollcall('members', 'promote', '127.0.0.1:8083')).toBe(1);
    expect(err).toBe('rollcall: 127.0.0.1:8083 is 3 entries behind\n');
    expect(out).toBe('');
  });

  it('says a wrong token is wrong, and exits 1', async () => {
    const code = await run(['members', 'list', '--token', 'not-the-token-at-all'], {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { ROLLCALL_ENDPOINTS: leader.url },
    });
    expect(code).toBe(1);
    expect(err).toBe(
      'rollcall: The admin token is wrong (check --token or ROLLCALL_ADMIN_TOKEN)\n',
    );
  });

  it('stops at once at a node whose admin routes are off (a 403 that names no leader)', async () => {
    const message = 'Admin routes are turned off on this node: start it with ADMIN_TOKEN ...';
    leader.answer((_req, _body, res) => json(res, 403, { success: false, message }));
    expect(await rollcall('members', 'list')).toBe(1);
    expect(err).toBe(`rollcall: ${message}\n`);
    expect(leader.requests).toHaveLength(1);
  });

  it('exits 2 without a token or endpoints, saying which', async () => {
    const bare = (env: NodeJS.ProcessEnv) =>
      run(['members', 'list'], { out: (t) => (out += t), err: (t) => (err += t), env });
    expect(await bare({ ROLLCALL_ENDPOINTS: leader.url })).toBe(2);
    expect(err).toBe('rollcall: no admin token: pass --token or set ROLLCALL_ADMIN_TOKEN\n');
    err = '';
    expect(await bare({ ROLLCALL_ADMIN_TOKEN: TOKEN })).toBe(2);
    expect(err).toMatch(/^rollcall: no endpoints: pass --endpoints/);
    expect(leader.requests).toHaveLength(0);
  });
});

describe('rollcall --help and usage errors', () => {
  const help = async (...args: string[]) => {
    let out = '';
    const code = await run(args, { out: (t) => (out += t), err: (t) => (out += t), env: {} });
    return { code, out };
  };

  it.each([
    [[], /Commands:\n {2}status/],
    [['status'], /--json/],
    [['leader', 'transfer'], /--to <node>/],
    [['snapshot', 'save'], /save the leader's snapshot/],
    [['snapshot', 'restore'], /--data-dir <dir>/],
    [['members', 'add'], /--api-url <url>/],
    [['members', 'remove'], /the leader hands over first/],
  ])('rollcall %p --help', async (args, text) => {
    const { code, out } = await help(...args, '--help');
    expect(code).toBe(0);
    expect(out).toMatch(text);
  });

  it('exits 2 on an unknown command or a missing argument', async () => {
    expect((await help('bogus')).code).toBe(2);
    expect((await help('snapshot', 'restore', 'file')).out).toMatch(
      /--data-dir <dir>' not specified/,
    );
    expect((await help('members', 'add')).code).toBe(2);
  });
});
