import { RollcallAdmin } from '../../../src/sdk';
import { FakeNode, json } from './fake-node';

const ALICE = { node: '10.0.0.1:8080', api_url: 'http://10.0.0.1:3000', match_index: 9 };
const BOB = { node: '10.0.0.2:8080', api_url: 'http://10.0.0.2:3000', match_index: 9 };

/**
 * A leader whose first answer to a membership change is lost after the change was made (a 503
 * as leadership moved): the SDK's retry then meets the change already made. After such an
 * ambiguous attempt the member list says whether it was; without one, a refusal is final.
 */
describe('RollcallAdmin membership changes, retried after an ambiguous answer', () => {
  const nodes: FakeNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  /** A node that answers the change with `first`, then with `retried`, and lists `members`. */
  async function leader(
    first: [number, unknown],
    retried: [number, unknown],
    members: unknown[],
  ): Promise<RollcallAdmin> {
    let changes = 0;
    const node = await new FakeNode((req, _body, res) => {
      if (req.method === 'GET') json(res, 200, { members, config_index: 7 });
      else json(res, ...(++changes === 1 ? first : retried));
    }).start();
    nodes.push(node);
    return new RollcallAdmin({ nodes: [node.url], token: 'x'.repeat(16) });
  }

  const lost: [number, unknown] = [503, { success: false, message: 'leadership moved' }];
  const unknown: [number, unknown] = [404, { message: 'not a member', reason: 'unknown' }];
  const invalid: [number, unknown] = [409, { message: 'already a voter', reason: 'invalid' }];

  it('takes a 404 after it as the removal done, when the list no longer names the node', async () => {
    const admin = await leader(lost, unknown, [{ ...ALICE, role: 'voter', reachable: true }]);
    const list = await admin.removeMember(BOB.node);
    expect(list.members.map((m) => m.node)).toEqual([ALICE.node]);
  });

  it('takes a 409 "already" after it as the add or promotion done, when the list agrees', async () => {
    const bobVoter = { ...BOB, role: 'voter', reachable: true };
    const promoted = await leader(lost, invalid, [bobVoter]);
    expect((await promoted.promoteMember(BOB.node)).members).toEqual([bobVoter]);
    const added = await leader(lost, invalid, [bobVoter]);
    await expect(added.addMember(BOB.node, BOB.api_url, false)).resolves.toMatchObject({
      config_index: 7,
    });
  });

  it('keeps the refusal when the list says otherwise, or when nothing was ambiguous', async () => {
    const still = await leader(lost, unknown, [{ ...BOB, role: 'voter', reachable: true }]);
    await expect(still.removeMember(BOB.node)).rejects.toMatchObject({ status: 404 });
    const learner = await leader(lost, invalid, [{ ...BOB, role: 'learner', reachable: true }]);
    await expect(learner.addMember(BOB.node, BOB.api_url, false)).rejects.toMatchObject({
      status: 409,
    });
    const plain = await leader(unknown, unknown, []);
    await expect(plain.removeMember(BOB.node)).rejects.toMatchObject({ status: 404 });
  });
});
