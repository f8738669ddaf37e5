import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InvariantResult } from './checker';
import type { ChaosResult } from './chaos-run';

/** The human summary: what was done, then each invariant with its checks and violations. */
export function summary(r: ChaosResult): string {
  const c = r.check;
  const line = (name: string, x: InvariantResult, extra = '') =>
    `  ${x.violations === 0 ? 'ok  ' : 'FAIL'} ${name}: ${x.violations} violations in ${x.checks} checks${extra}` +
    x.examples.map((e) => `\n         - ${e}`).join('');
  const o = r.operations;
  return [
    `chaos: seed ${r.options.seed}, ${r.options.nodes} nodes, ${r.options.seconds} s${r.options.secret ? ', CLUSTER_SECRET' : ''}${r.options.membership ? `, membership faults (${r.options.spares} spare slots)` : ''} (${r.durationSeconds} s with healing and verification)`,
    `faults: ${Object.entries(r.faults)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `mesh frames: ${r.mesh.forwarded} forwarded (${r.mesh.delayed} delayed), ${r.mesh.droppedByCut} cut, ${r.mesh.droppedByLoss} lost`,
    `operations: register ${o.registerOk} acked/${o.registerFailed} failed, heartbeat ${o.heartbeatOk} acked/${o.heartbeatFailed} failed, ` +
      `discover ${o.discoverOk} ok/${o.discoverFailed} failed, prober /discover 200s ${o.probeDiscoverOk}, leader-served 200s ${o.leaderAnswers}, health polls ${o.healthPolls}`,
    'invariants:',
    line('overlapping leadership', c.overlappingLeadership, ' (leader-served 200s)'),
    line(
      'more than one leader in a term',
      c.leadersPerTerm,
      ` (terms with a leader seen: ${c.leadersPerTerm.terms})`,
    ),
    line(
      'acked registrations missing after healing',
      c.lostRegistrations,
      ` (${c.lostRegistrations.acked} acked x ${c.lostRegistrations.nodesVerified} nodes)`,
    ),
    line(
      'acknowledged heartbeats missing from /discover',
      c.vanishedClients,
      ` (${c.vanishedClients.discovers} discovers; expectations by same leader ${c.vanishedClients.sameLeader}, by an earlier leader ${c.vanishedClients.laterLeader}; ${c.vanishedClients.atAddress} at the address heartbeats named)`,
    ),
    ...membershipLines(r, line),
    ...(r.options.followers
      ? [
          line(
            'follower reads too stale or missing acknowledged clients',
            c.followerReads,
            ` (${c.followerReads.reads} follower-served /discover, ${c.followerReads.usersReads} /users)`,
          ),
        ]
      : []),
    ...(c.vanishedClients.violations > 0
      ? [
          `       ${c.vanishedClients.onRestartedNode} of them in answers from a node restarted since the ack; by leader:`,
          ...c.vanishedClients.episodes.map(
            (e) =>
              `         node ${e.node} term ${e.term}, ${e.from}-${e.to}: ${e.clients} clients missing ` +
              `(${e.stillHeartbeating} of them heartbeated again later) in ${e.answers} answers` +
              (e.nodeRestartedSinceAck ? ' (node restarted since the acks)' : ''),
          ),
        ]
      : []),
    ...(r.failures.length > 0
      ? [
          `calls that failed for good (first 10 of ${r.failures.length}; all in the JSON):`,
          ...r.failures
            .slice(0, 10)
            .map(
              (f) =>
                `  - ${f.op} at ${f.at}: ${f.why}; faults started in the 6 s before: ${f.faultsBefore.join('; ') || 'none'}`,
            ),
        ]
      : []),
    ...(r.incomplete.length > 0 ? ['INCOMPLETE:', ...r.incomplete.map((s) => `  - ${s}`)] : []),
    ...(c.anomalies.length > 0
      ? ['anomalies:', ...c.anomalies.slice(0, 25).map((s) => `  - ${s}`)]
      : []),
    r.violations === 0 && r.incomplete.length === 0
      ? 'result: 0 violations'
      : `result: ${r.violations} violations${r.incomplete.length > 0 ? ', verification incomplete' : ''}`,
  ].join('\n');
}

/** With --membership: the changes by outcome, the final members, the membership invariants. */
function membershipLines(
  r: ChaosResult,
  line: (name: string, x: InvariantResult, extra?: string) => string,
): string[] {
  const m = r.membership;
  if (!m) return [];
  const c = m.check;
  return [
    `  membership changes: ${
      Object.entries(m.changes)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    }; final voters {${m.finalVoters.join(',')}} learners {${m.finalLearners.join(',')}} at config index ${String(m.finalConfigIndex)}`,
    line('one configuration index, two memberships', c.sameIndexSameMembers, ' (member lists)'),
    line('a member list older than one already served', c.listsMoveForward, ' (member lists)'),
    line('a node leading while surely not a voter', c.leadersAreVoters, ' (leads seen)'),
    line('members disagree with the leader after healing', c.finalAgreement, ' (running nodes)'),
  ];
}

/** Writes the result as JSON under `dir`; returns the file. */
export function writeResult(dir: string, r: ChaosResult, commit: string): string {
  mkdirSync(dir, { recursive: true });
  const name = `${r.options.seed}-${r.options.nodes}n-${r.options.seconds}s${r.options.secret ? '-secret' : ''}${r.options.membership ? '-members' : ''}`;
  const { nodeLogs, ...rest } = r;
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ commit, ...rest }, null, 2)}\n`);
  // The nodes' own logs, for the evidence behind a violation: one file per process.
  const logs = join(dir, `${name}-logs`);
  mkdirSync(logs, { recursive: true });
  for (const l of nodeLogs)
    writeFileSync(join(logs, `node${l.node}-${l.incarnation}.log`), `${l.lines.join('\n')}\n`);
  return file;
}
