import type { InvariantResult } from './checker';
import type { MemberListSeen, MembershipHistory } from './membership-history';
import type { Recorder } from './recorder';

/** Examples kept per invariant; the counts are always complete. */
const EXAMPLES = 25;

/** A node seen leading: a leader-served 200 or a health answer, with when it was asked. */
export interface LeadSeen {
  node: number;
  term: number;
  /** Runner clock: the request left at `send`; the node led at some moment after it. */
  send: number;
  how: string;
}

export interface MembershipCheck {
  /** Two member lists under one configuration index that name different members. */
  sameIndexSameMembers: InvariantResult;
  /** A member list served after another was answered, with an older configuration index. */
  listsMoveForward: InvariantResult;
  /** A node leading when it was surely not a voter: removed before, or a learner throughout. */
  leadersAreVoters: InvariantResult;
  /** After healing, every member agrees with the leader's list on its role and the index. */
  finalAgreement: InvariantResult;
}

function invariant(): InvariantResult & { note: (s: string) => void } {
  const r = {
    checks: 0,
    violations: 0,
    examples: [] as string[],
    note(s: string) {
      r.violations++;
      if (r.examples.length < EXAMPLES) r.examples.push(s);
    },
  };
  return r;
}

function strip(r: ReturnType<typeof invariant>): InvariantResult {
  return { checks: r.checks, violations: r.violations, examples: r.examples };
}

const names = (l: MemberListSeen) =>
  `voters {${[...l.voters].sort((a, b) => a - b).join(',')}} learners {${[...l.learners].sort((a, b) => a - b).join(',')}}`;

/**
 * A committed configuration index names one membership, whichever leader serves it and when.
 * Every list is compared with the committed lists answered before it was asked for: once an
 * entry is committed, every leader's log holds it at its index. (An uncommitted entry asked for
 * earlier may be replaced by another at its index: such a pair is not compared.)
 */
export function checkSameIndexSameMembers(lists: readonly MemberListSeen[]): InvariantResult {
  const r = invariant();
  const committed = lists.filter((x) => x.committed);
  for (const l of lists) {
    r.checks++;
    // Two committed lists are compared once (the earlier seen against the later).
    const before = committed.find(
      (c) =>
        c.configIndex === l.configIndex &&
        (l.committed ? committed.indexOf(c) < committed.indexOf(l) : c.recv < l.send),
    );
    if (before && names(before) !== names(l)) {
      r.note(
        `config index ${l.configIndex}: node ${before.by} listed ${names(before)}, node ${l.by} listed ${names(l)}`,
      );
    }
  }
  return strip(r);
}

/**
 * Committed membership is never lost: any list asked for after a committed one was answered
 * has a configuration index at least as high (a leader's log holds every committed entry).
 */
export function checkListsMoveForward(
  lists: readonly MemberListSeen[],
  t: (x: number) => string,
): InvariantResult {
  const r = invariant();
  const byRecv = lists.filter((x) => x.committed).sort((a, b) => a.recv - b.recv);
  let newest: MemberListSeen | null = null;
  let k = 0;
  for (const l of [...lists].sort((a, b) => a.send - b.send)) {
    // `newest`: the highest committed index among the lists answered before this one was asked.
    for (; k < byRecv.length && byRecv[k].recv < l.send; k++) {
      if (!newest || byRecv[k].configIndex > newest.configIndex) newest = byRecv[k];
    }
    r.checks++;
    if (newest && l.configIndex < newest.configIndex) {
      r.note(
        `node ${l.by} served config index ${l.configIndex} (asked ${t(l.send)}) after node ${newest.by} had served ${newest.configIndex} (answered ${t(newest.recv)})`,
      );
    }
  }
  return strip(r);
}

/**
 * When each node was surely not a voter: from the first answer of a committed list that no
 * longer names it (it was removed, and addresses are never reused), and while it was a learner:
 * from the first list naming it one (committed or not: a new address is never a voter before
 * its promotion) until a promotion of it was first asked for.
 */
export function notVoterSpans(h: MembershipHistory): Map<number, [number, number][]> {
  const spans = new Map<number, [number, number][]>();
  const add = (node: number, from: number, to: number) =>
    spans.set(node, [...(spans.get(node) ?? []), [from, to]]);
  const byIndex = h.lists.filter((l) => l.committed).sort((a, b) => a.configIndex - b.configIndex);
  const nodes = new Set([...h.bootstrap, ...h.lists.flatMap((l) => [...l.voters, ...l.learners])]);
  for (const node of nodes) {
    const named = byIndex.filter((l) => l.voters.includes(node) || l.learners.includes(node));
    // A node no committed list names was never known a member: nothing to be removed from.
    if (named.length > 0 || h.bootstrap.includes(node)) {
      const lastIndex = named.length > 0 ? named[named.length - 1].configIndex : 0;
      const after = byIndex.filter((l) => l.configIndex > lastIndex);
      if (after.length > 0) add(node, Math.min(...after.map((l) => l.recv)), Infinity);
    }
    const asLearner = h.lists.filter((l) => l.learners.includes(node));
    if (asLearner.length === 0) continue;
    const from = Math.min(...asLearner.map((l) => l.recv));
    const promotes = h.changes.filter((c) => c.action === 'promote' && c.node === node);
    add(node, from, promotes.length > 0 ? Math.min(...promotes.map((c) => c.send)) : Infinity);
  }
  return spans;
}

/** Only a voter leads: no lead seen, asked for after a node surely stopped being one. */
export function checkLeadersAreVoters(
  h: MembershipHistory,
  leads: readonly LeadSeen[],
  t: (x: number) => string,
): InvariantResult {
  const r = invariant();
  const spans = notVoterSpans(h);
  for (const lead of leads) {
    r.checks++;
    const span = spans.get(lead.node)?.find(([from, to]) => lead.send > from && lead.send < to);
    if (span) {
      r.note(
        `node ${lead.node} led term ${lead.term} (${lead.how}, asked ${t(lead.send)}) while not a voter since ${t(span[0])}`,
      );
    }
  }
  return strip(r);
}

/**
 * After healing: every member the leader lists says it is that, under the same index; a running
 * node it does not list says it was removed, or knows only an older index.
 */
export function checkFinalAgreement(h: MembershipHistory): InvariantResult {
  const r = invariant();
  const list = h.final.list;
  if (!list) {
    r.checks++;
    r.note('no leader served the member list after healing');
    return strip(r);
  }
  for (const own of h.final.own) {
    r.checks++;
    const role = list.voters.includes(own.node)
      ? 'voter'
      : list.learners.includes(own.node)
        ? 'learner'
        : 'removed';
    // A node removed while it was down is never sent the entry that removes it: it may still
    // say what it was, at the older index it knows.
    const missedRemoval =
      role === 'removed' && own.configIndex !== null && own.configIndex < list.configIndex;
    const agrees =
      role === 'removed'
        ? own.role === 'removed' || missedRemoval
        : own.role === role && own.configIndex === list.configIndex;
    if (!agrees) {
      r.note(
        `node ${own.node} says ${String(own.role)} at config index ${String(own.configIndex)}; the leader lists it as ${role} at ${list.configIndex}`,
      );
    }
  }
  const asked = new Set(h.final.own.map((o) => o.node));
  for (const node of [...list.voters, ...list.learners]) {
    if (asked.has(node)) continue;
    r.checks++;
    r.note(`member ${node} did not answer after healing`);
  }
  return strip(r);
}

/** Every lead the run saw with the time it was asked: leader-served 200s and health claims. */
export function leadsSeen(recorder: Recorder): LeadSeen[] {
  const answers = recorder.leaderAnswers.map((a) => ({
    node: a.node,
    term: a.term,
    send: a.send,
    how: `${a.route} 200`,
  }));
  const health = recorder.claims
    .filter((c) => c.how === 'health' && c.send !== undefined)
    .map((c) => ({ node: c.node, term: c.term, send: c.send!, how: 'health is_leader' }));
  return [...answers, ...health];
}

export function checkMembership(
  h: MembershipHistory,
  leads: readonly LeadSeen[],
  t: (x: number) => string,
): MembershipCheck {
  return {
    sameIndexSameMembers: checkSameIndexSameMembers(h.lists),
    listsMoveForward: checkListsMoveForward(h.lists, t),
    leadersAreVoters: checkLeadersAreVoters(h, leads, t),
    finalAgreement: checkFinalAgreement(h),
  };
}

export function membershipViolations(c: MembershipCheck): number {
  return (
    c.sameIndexSameMembers.violations +
    c.listsMoveForward.violations +
    c.leadersAreVoters.violations +
    c.finalAgreement.violations
  );
}
