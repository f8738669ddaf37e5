import { run } from '../../src/ops-cli/program';
import { TestCluster } from '../support/cluster';
import { waitFor } from '../support/poll';

const TOKEN = 'e2e-admin-token-0123456789';

describe('auto_promote on a real cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster({
      size: 3,
      spares: 1,
      extra: 'auto_promote = true',
      env: { ADMIN_TOKEN: TOKEN },
    }).start();
    await cluster.waitForLeader([0, 1, 2]);
  });
  afterAll(() => cluster?.stop());

  it('promotes a learner on its own once it is caught up and reachable', async () => {
    const added = cluster.ids[3];
    let err = '';
    const code = await run(['members', 'add', added, '--api-url', cluster.url(3)], {
      out: () => undefined,
      err: (t) => (err += t),
      env: {
        ROLLCALL_ENDPOINTS: [0, 1, 2].map((i) => cluster.url(i)).join(','),
        ROLLCALL_ADMIN_TOKEN: TOKEN,
      },
    });
    expect([code, err]).toEqual([0, '']);
    cluster.startNode(3);
    await cluster.node(3).waitUntilServing();
    const role = async () =>
      ((await cluster.health(3)) as { membership?: { role: string } } | null)?.membership?.role;
    await waitFor('the learner to become a voter unasked', async () => (await role()) === 'voter');
    // Whoever led says so once the change is committed, which may come after the new voter
    // appended it (and said so above).
    await waitFor('the leader to log the promotion', () =>
      [0, 1, 2].some((i) =>
        cluster.node(i).lines.some((l) => l.includes(`auto_promote: promoted ${added}`)),
      ),
    );
  });
});
