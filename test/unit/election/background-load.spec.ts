import { APPEND_ENTRIES, type AppendEntries } from '../../../src/election/consensus';
import { B, C, heartbeat, makeCore } from './sim/core-fixture';
import { SimCluster } from './sim/sim-cluster';
import { DEFAULT_TIMING } from './sim/timing';

const { electionTimeoutMinMs: MIN, electionTimeoutMaxMs: MAX } = DEFAULT_TIMING;
const SLOT = (MAX - MIN) / 3;

describe('the core compares background load and shows machine load', () => {
  it('ranks its election timeout on background, whatever the machine loads say', () => {
    const core = makeCore();
    core.setLoad({ machine: 90, background: 10 });
    const hb = heartbeat(B, 1, 0, { loads: { [C]: 20 }, backgrounds: { [C]: 50 } });
    core.step({ ...hb, cpu: 30, background: 40 }, 0);
    // First of three: by machine load it would be last.
    expect(core.nextDeadline()).toBeLessThan(MIN + SLOT);
    expect(core.status(0)).toMatchObject({ cpu: 90, background: 10 });
    expect(core.status(0).peers).toEqual([
      expect.objectContaining({ id: B, cpu: 30, background: 40 }),
      expect.objectContaining({ id: C, cpu: 20, background: 50 }),
    ]);
  });

  it("takes a previous-version peer's machine load for its background", () => {
    const core = makeCore();
    core.setLoad({ machine: 50, background: 50 });
    // No `background`, no `backgrounds`: what a peer of the previous version sends.
    core.step({ ...heartbeat(B, 1, 0, { loads: { [C]: 30 } }), cpu: 20 }, 0);
    expect(core.nextDeadline()).toBeGreaterThanOrEqual(MIN + 2 * SLOT);
    expect(core.status(0).peers).toEqual([
      expect.objectContaining({ id: B, cpu: 20, background: 20 }),
      expect.objectContaining({ id: C, cpu: 30, background: 30 }),
    ]);
  });

  it('sends both figures, and a leader relays both for every peer', () => {
    const cluster = new SimCluster({ size: 3, seed: 3, cpu: [0, 50, 50] });
    const [leader, second, third] = cluster.ids;
    expect(cluster.runUntilAgreedLeader()).toBe(leader);
    cluster.setLoad(third, { machine: 80, background: 15 });
    cluster.runFor(3 * DEFAULT_TIMING.heartbeatIntervalMs);
    expect(cluster.node(third).sent.at(-1)).toMatchObject({ cpu: 80, background: 15 });
    const relayed = cluster
      .node(leader)
      .sent.filter((m): m is AppendEntries => m.type === APPEND_ENTRIES && m.to !== third)
      .at(-1);
    expect(relayed).toMatchObject({ loads: { [third]: 80 }, backgrounds: { [third]: 15 } });
    // The fellow follower learns them from the leader alone.
    expect(cluster.status(second)!.peers.find((p) => p.id === third)).toMatchObject({
      cpu: 80,
      background: 15,
    });
  });
});
