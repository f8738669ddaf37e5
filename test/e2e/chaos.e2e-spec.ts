import { type ChaosResult, runChaos } from '../../chaos/chaos-run';
import { FAULT_KINDS } from '../../chaos/nemesis';
import { summary } from '../../chaos/report';

/**
 * The chaos runner for 60 s inside `npm test` (the long runs are `npm run chaos`, recorded in
 * docs/RELIABILITY.md). Three nodes, not five: on the 2-core machines this runs on, five nodes,
 * their proxies, 30 heartbeating clients and the prober beside the other e2e suites starve the
 * leader of CPU, which shows as 503 bursts (docs/operations.md, Known limits) and fewer operations, not as a
 * different test; three still give a minority to cut off, a leader to kill or pause and a
 * majority that keeps serving, which is what every fault kind needs.
 */
const SEED = Number(process.env.CHAOS_SEED ?? 20261126);
const SECONDS = 60;
const NODES = 3;

describe('chaos: faults against a real cluster, checked by the invariant checker', () => {
  let result: ChaosResult;

  beforeAll(async () => {
    // Printed first, so that a failure can be replayed with CHAOS_SEED.
    process.stdout.write(
      `chaos e2e: seed ${SEED}, CLUSTER_SECRET on (set CHAOS_SEED to replay another)\n`,
    );
    const lines: string[] = [];
    result = await runChaos({
      nodes: NODES,
      seconds: SECONDS,
      seed: SEED,
      // Authenticated, as a production cluster should run: lost and cut frames then also break
      // sealed streams, and the nodes must redo the handshake through every fault.
      secret: true,
      followers: false,
      log: (l) => lines.push(l),
    });
    process.stdout.write(`${lines.join('\n')}\n${summary(result)}\n`);
  }, 600_000);

  it('injected every kind of fault and did real work', () => {
    expect(FAULT_KINDS.filter((k) => !(result.faults[k] > 0))).toEqual([]);
    expect(result.mesh.droppedByCut).toBeGreaterThan(0);
    expect(result.mesh.droppedByLoss).toBeGreaterThan(0);
    expect(result.mesh.delayed).toBeGreaterThan(0);
    expect(result.operations.registerOk).toBeGreaterThan(0);
    expect(result.operations.heartbeatOk).toBeGreaterThan(0);
    expect(result.operations.discoverOk).toBeGreaterThan(0);
  });

  it('saw no two leaders serve at once, and leadership did change hands', () => {
    const c = result.check;
    expect(c.overlappingLeadership.checks).toBe(result.operations.leaderAnswers);
    expect(c.overlappingLeadership.checks).toBeGreaterThan(0);
    expect(c.leadersPerTerm.terms).toBeGreaterThan(1);
    // More terms alone could be one node winning again and again: two nodes must have led.
    const leaders = new Set(
      result.nodeLogs
        .filter((log) => log.lines.some((line) => /became leader in term \d+/.test(line)))
        .map((log) => log.node),
    );
    expect(leaders.size).toBeGreaterThanOrEqual(2);
    expect(c.overlappingLeadership.examples).toEqual([]);
    expect(c.overlappingLeadership.violations).toBe(0);
    expect(c.leadersPerTerm.examples).toEqual([]);
    expect(c.leadersPerTerm.violations).toBe(0);
  });

  it('found every acknowledged registration on every node after healing', () => {
    const r = result.check.lostRegistrations;
    expect(result.incomplete).toEqual([]);
    expect(r.nodesVerified).toBe(NODES);
    expect(r.acked).toBe(result.operations.registerOk);
    expect(r.checks).toBe(r.acked * NODES);
    expect(r.examples).toEqual([]);
    expect(r.violations).toBe(0);
  });

  it('kept every heartbeating client in /discover', () => {
    const d = result.check.vanishedClients;
    // Both grounds for expecting a client were exercised, on many answers.
    expect(d.sameLeader).toBeGreaterThan(0);
    expect(d.laterLeader).toBeGreaterThan(0);
    expect(d.checks).toBe(d.sameLeader + d.laterLeader);
    // The workload's clients never move and always name their address: every check held it.
    expect(d.atAddress).toBe(d.checks);
    expect(d.checks).toBeGreaterThan(1000);
    expect(d.examples).toEqual([]);
    expect(d.violations).toBe(0);
  });

  it('met no anomaly (a 200 without its term, a node that would not stop or start)', () => {
    expect(result.check.anomalies).toEqual([]);
  });
});
