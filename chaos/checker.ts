import { acksByClient, firstAtOrAfter, notShown, oneAddrOf } from './client-acks';
import type { HeartbeatAck, LeaderAnswer, Recorder } from './recorder';
import { checkFollowerReads, type FollowerReadsResult } from './follower-reads';
import type { Verification } from './verify-registrations';

/** How long a heartbeat keeps a client online (client_timeout_ms 30 s), less a margin of 1 s. */
export const PRESENCE_WINDOW_MS = 29_000;
/**
 * How long after an ack another node's process fault may still have cost the ack a holder: a
 * majority holds it when it is answered, every node within a few 50 ms deltas.
 */
export const SPREAD_MS = 1_000;
/** Examples kept per invariant; the counts are always complete. */
const EXAMPLES = 25;

export interface InvariantResult {
  /** How many things were checked: a 0 in `violations` means something only if this is not 0. */
  checks: number;
  violations: number;
  examples: string[];
}

export interface Incarnation {
  node: number;
  startedAt: number;
  lines: readonly string[];
}

export interface VanishEpisode {
  node: number;
  term: number;
  /** Runner clock, seconds since the start: first and last violating answer. */
  from: string;
  to: string;
  answers: number;
  clients: number;
  /** Of those clients, how many heartbeated again after the last of these answers. */
  stillHeartbeating: number;
  violations: number;
  nodeRestartedSinceAck: boolean;
}

export interface CheckResult {
  overlappingLeadership: InvariantResult;
  leadersPerTerm: InvariantResult & { terms: number };
  lostRegistrations: InvariantResult & {
    acked: number;
    nodesVerified: number;
    unverified: string[];
  };
  vanishedClients: InvariantResult & {
    discovers: number;
    sameLeader: number;
    laterLeader: number;
    /** Expectations that also held the client to the one address its heartbeats named. */
    atAddress: number;
    /** Violations in answers from a node that had been restarted since the ack expecting them. */
    onRestartedNode: number;
    /** The violating answers grouped by the leader (node, term) that served them. */
    episodes: VanishEpisode[];
  };
  /** With --followers: follower-served /discover answers within their lag bound, and complete. */
  followerReads: FollowerReadsResult;
  anomalies: string[];
}

/**
 * 1. No node serves a leader-only 200 in an older term after another node served one in a newer
 * term: answers A and B from different nodes with termA < termB and recvB < sendA. Server time of
 * B is before recvB and that of A after sendA, so B was truly served first; a lease that works
 * makes the old leader stop before anyone else can be elected.
 */
export function checkOverlap(answers: readonly LeaderAnswer[], t: (x: number) => string) {
  const result: InvariantResult = { checks: 0, violations: 0, examples: [] };
  const byTermDesc = [...answers].sort((a, b) => b.term - a.term);
  // For the terms above the one being looked at: each node's earliest-answered 200.
  const earliest = new Map<number, LeaderAnswer>();
  for (let i = 0; i < byTermDesc.length;) {
    const term = byTermDesc[i].term;
    let j = i;
    while (j < byTermDesc.length && byTermDesc[j].term === term) j++;
    for (let k = i; k < j; k++) {
      const a = byTermDesc[k];
      result.checks++;
      for (const [node, b] of earliest) {
        if (node === a.node || b.recv >= a.send) continue;
        result.violations++;
        if (result.examples.length < EXAMPLES) {
          result.examples.push(
            `node ${a.node} served ${a.route} in term ${a.term} (sent ${t(a.send)}, answered ${t(a.recv)}) ` +
              `after node ${b.node} had served ${b.route} in term ${b.term} (answered ${t(b.recv)})`,
          );
        }
        break;
      }
    }
    for (let k = i; k < j; k++) {
      const a = byTermDesc[k];
      const e = earliest.get(a.node);
      if (!e || a.recv < e.recv) earliest.set(a.node, a);
    }
    i = j;
  }
  return result;
}

/**
 * 2. At most one leader per term, from every source that names one: leader-served 200s (their
 * Rollcall-Term), health answers saying is_leader in a term, and the nodes' own "became leader in
 * term N" log lines.
 */
export function checkLeadersPerTerm(recorder: Recorder, incarnations: readonly Incarnation[]) {
  const leaders = new Map<number, Map<number, Set<string>>>();
  const add = (term: number, node: number, how: string) => {
    const nodes = leaders.get(term) ?? new Map<number, Set<string>>();
    leaders.set(term, nodes);
    nodes.set(node, (nodes.get(node) ?? new Set()).add(how));
  };
  for (const c of recorder.claims) add(c.term, c.node, c.how);
  for (const inc of incarnations) {
    for (const line of inc.lines) {
      const m = /became leader in term (\d+)/.exec(line);
      if (m) add(Number(m[1]), inc.node, 'log');
    }
  }
  const result = { checks: 0, violations: 0, examples: [] as string[], terms: leaders.size };
  for (const [term, nodes] of [...leaders].sort((a, b) => a[0] - b[0])) {
    result.checks++;
    if (nodes.size < 2) continue;
    result.violations++;
    if (result.examples.length < EXAMPLES) {
      const who = [...nodes].map(([node, how]) => `node ${node} (${[...how].join('+')})`);
      result.examples.push(`term ${term} led by ${who.join(' and ')}`);
    }
  }
  return result;
}

/**
 * 3. Every acknowledged registration is on every node once healed, with the id it was answered
 * with, and no username is ever listed with two ids (on one node, across nodes, or in acks).
 */
export function checkRegistrations(recorder: Recorder, v: Verification) {
  const result = {
    checks: 0,
    violations: 0,
    examples: [] as string[],
    acked: recorder.registrations.length,
    nodesVerified: 0,
    unverified: [] as string[],
  };
  const note = (s: string) => {
    result.violations++;
    if (result.examples.length < EXAMPLES) result.examples.push(s);
  };
  const acked = new Map<string, string>();
  for (const r of recorder.registrations) {
    const before = acked.get(r.username);
    if (before !== undefined && before !== r.userId) {
      note(`${r.username} acknowledged with two ids: ${before} and ${r.userId}`);
    }
    acked.set(r.username, r.userId);
  }
  if (v.error !== null) result.unverified.push(`cluster did not settle: ${v.error}`);
  const seen = new Map<string, string>();
  for (const reg of v.registries) {
    if (reg.users === null) {
      result.unverified.push(`node ${reg.node}: ${reg.error ?? 'no answer'}`);
      continue;
    }
    result.nodesVerified++;
    for (const [username, ids] of reg.users) {
      if (new Set(ids).size > 1)
        note(`node ${reg.node} lists ${username} with ids ${ids.join(', ')}`);
      const other = seen.get(username);
      if (other !== undefined && other !== ids[0]) {
        note(`${username} has id ${ids[0]} on node ${reg.node} but ${other} on another node`);
      }
      seen.set(username, ids[0]);
    }
    for (const [username, userId] of acked) {
      result.checks++;
      const ids = reg.users.get(username);
      if (!ids) note(`node ${reg.node} (leading term ${reg.term}) is missing acked ${username}`);
      else if (!ids.includes(userId)) {
        note(`node ${reg.node} lists acked ${username} as ${ids.join(', ')}, acked as ${userId}`);
      }
    }
  }
  return result;
}

/**
 * 4. A heartbeat answered 200 is in every later /discover for 29 s (client_timeout_ms is 30 s).
 * A discover answered by node N in term T (sent s, answered r) must list client c if c has a
 * heartbeat acknowledged with send time at or after r - 29 s and answered by s, and either (a)
 * that ack came from N in term T, the very list N serves, or (b) it came from another leader and
 * no other node's process was killed, stopped or restarted in the second after it: a leader
 * answers only once a majority holds the heartbeat, and a new leader starts from a majority's
 * copies or the list its predecessor handed over, so the acking leader's own crash, stop,
 * isolation or handover right after the answer loses nothing. Two processes failing within a
 * second (the acking leader and a holder) is more than the design tolerates.
 */
export function checkDiscover(
  recorder: Recorder,
  incarnations: readonly Incarnation[],
  t: (x: number) => string,
) {
  const result = {
    checks: 0,
    violations: 0,
    examples: [] as string[],
    discovers: recorder.discovers.length,
    sameLeader: 0,
    laterLeader: 0,
    atAddress: 0,
    onRestartedNode: 0,
    episodes: [] as VanishEpisode[],
  };
  const episodes = new Map<
    string,
    {
      node: number;
      term: number;
      from: number;
      to: number;
      answers: Set<unknown>;
      clients: Set<string>;
      violations: number;
      restarted: boolean;
    }
  >();
  const ackLists = acksByClient(recorder.heartbeatAcks);
  const holders = new Map<HeartbeatAck, boolean>();
  const keptByHolders = (ack: HeartbeatAck) => {
    let ok = holders.get(ack);
    if (ok === undefined) {
      // A follower's ack came after a majority held the heartbeat: nothing after it can undo it.
      ok =
        ack.viaFollower === true ||
        !recorder.otherProcessFaultDuring(ack.node, ack.recv, ack.recv + SPREAD_MS);
      holders.set(ack, ok);
    }
    return ok;
  };
  const clients = [...ackLists].map(([username, acks]) => ({
    username,
    acks,
    addr: oneAddrOf(acks),
  }));
  for (const d of recorder.discovers) {
    for (const { username, acks, addr } of clients) {
      const from = d.recv - PRESENCE_WINDOW_MS;
      if (acks[acks.length - 1].send < from || acks[0].send > d.send) continue;
      let why: 'same' | 'later' | null = null;
      let because: HeartbeatAck | null = null;
      for (let k = firstAtOrAfter(acks, from); k < acks.length && acks[k].send <= d.send; k++) {
        const ack = acks[k];
        if (ack.recv > d.send) continue;
        if (ack.node === d.node && ack.term === d.term) {
          why = 'same';
          because = ack;
          break;
        }
        if (why === null && keptByHolders(ack)) {
          why = 'later';
          because = ack;
        }
      }
      if (why === null || because === null) continue;
      result.checks++;
      if (why === 'same') result.sameLeader++;
      else result.laterLeader++;
      if (addr !== null) result.atAddress++;
      const problem = notShown(d.online, username, addr);
      if (problem === null) continue;
      result.violations++;
      const restarted = incarnations.some(
        (i) => i.node === d.node && i.startedAt > because.recv && i.startedAt < d.send,
      );
      if (restarted) result.onRestartedNode++;
      const key = `${d.node}:${d.term}`;
      const e = episodes.get(key) ?? {
        node: d.node,
        term: d.term,
        from: d.send,
        to: d.send,
        answers: new Set<unknown>(),
        clients: new Set<string>(),
        violations: 0,
        restarted: false,
      };
      episodes.set(key, e);
      e.from = Math.min(e.from, d.send);
      e.to = Math.max(e.to, d.send);
      e.answers.add(d);
      e.clients.add(username);
      e.violations++;
      e.restarted ||= restarted;
      if (result.examples.length < EXAMPLES) {
        result.examples.push(
          `${username} ${problem} /discover of node ${d.node} term ${d.term} (${d.source}, sent ` +
            `${t(d.send)}, answered ${t(d.recv)}); expected by ${why === 'same' ? 'an ack from the same leader' : 'an ack from an earlier leader'}: ` +
            `heartbeat acked by node ${because.node} term ${because.term} (sent ${t(because.send)}, answered ${t(because.recv)})` +
            (restarted ? `; node ${d.node} was restarted after that ack` : ''),
        );
      }
    }
  }
  result.episodes = [...episodes.values()].map((e) => ({
    node: e.node,
    term: e.term,
    from: t(e.from),
    to: t(e.to),
    answers: e.answers.size,
    clients: e.clients.size,
    stillHeartbeating: [...e.clients].filter((c) => {
      const acks = ackLists.get(c)!;
      return acks[acks.length - 1].send > e.to;
    }).length,
    violations: e.violations,
    nodeRestartedSinceAck: e.restarted,
  }));
  return result;
}

export function check(
  recorder: Recorder,
  incarnations: readonly Incarnation[],
  verification: Verification,
  maxLagMs: number | null = null,
): CheckResult {
  const t = (x: number) => recorder.sinceStart(x);
  return {
    overlappingLeadership: checkOverlap(recorder.leaderAnswers, t),
    leadersPerTerm: checkLeadersPerTerm(recorder, incarnations),
    lostRegistrations: checkRegistrations(recorder, verification),
    vanishedClients: checkDiscover(recorder, incarnations, t),
    followerReads: checkFollowerReads(recorder, maxLagMs, t),
    anomalies: recorder.anomalies,
  };
}
