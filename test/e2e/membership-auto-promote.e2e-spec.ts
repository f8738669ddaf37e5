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
    const membership = async (i: number) => (await cluster.health(i))?.membership;
    await waitFor(
      'the learner to become a voter unasked',
      async () => (await membership(3))?.role === 'voter',
    );
    await waitFor('a leader to log that it is promoting the learner', () =>
      [0, 1, 2].some((i) =>
        cluster.node(i).lines.some((l) => l.includes(`auto_promote: promoting ${added}`)),
      ),
    );
    // The new voter says so once it appended the change; the change must also commit. Whoever
    // proposed it logs "promoted" then, unless it lost the lead first (a successor commits it
    // then): the unit test of AutoPromoter covers both lines, this one the commit.
    await waitFor('a leader to commit the promotion', async () => {
      const own = await membership(3);
      if (own?.role !== 'voter') return false;
      // Any of the four may lead by then: the new voter too, if it has the most spare CPU.
      for (const i of [0, 1, 2, 3]) {
        const h = await cluster.health(i);
        if (h?.is_leader && h.log.commit_index >= own.config_index) return true;
      }
      return false;
    });
  });
});
