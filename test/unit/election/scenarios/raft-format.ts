import {
  RAFT_NAME,
  isAppendEntries,
  isMembershipCommand,
  isAppendEntriesResponse,
  type Entry,
  type MembershipConfig,
  type Message,
  type RoleChange,
  type Snapshot,
  type Status,
} from './core-glue';

/** Longer strings print cut, with their length, so a 300 KB entry stays one short line. */
const MAX_SHOWN_CHARS = 20;

export function formatTime(ms: number): string {
  return Number.isInteger(ms) ? String(ms) : ms.toFixed(3).replace(/\.?0+$/, '');
}

/** `index/term`, then `:noop` for a leader's no-op or `:"data"`; seeded entries carry no data. */
export function formatEntry(e: Pick<Entry, 'index' | 'term' | 'data'>): string {
  const at = `${e.index}/${e.term}`;
  if (e.data === undefined) return at;
  if (e.data === null) return `${at}:noop`;
  if (isMembershipCommand(e.data)) return `${at}:${formatMembers(e.data)}`;
  if (typeof e.data === 'string' && e.data.length > MAX_SHOWN_CHARS) {
    return `${at}:${JSON.stringify(e.data.slice(0, MAX_SHOWN_CHARS))}...(${e.data.length} chars)`;
  }
  return `${at}:${JSON.stringify(e.data)}`;
}

/** A configuration as `conf(voters=1,2,3 learners=4)`; the API URLs are left out. */
export function formatMembers(c: Pick<MembershipConfig, 'voters' | 'learners'>): string {
  const learners = c.learners.length === 0 ? '' : ` learners=${c.learners.join(',')}`;
  return `conf(voters=${c.voters.join(',')}${learners})`;
}

export function formatEntries(entries: readonly Entry[]): string {
  return entries.map(formatEntry).join(' ');
}

export function formatSnapshot(s: Pick<Snapshot, 'index' | 'term'>): string {
  return `${s.index}/${s.term}`;
}

/** One line: `from->to Name term=N` and the fields that matter for that message. */
export function formatMessage(m: Message): string {
  return `${m.from}->${m.to} ${RAFT_NAME[m.type]} term=${m.term}${messageDetails(m)}`;
}

function messageDetails(m: Message): string {
  if (isAppendEntries(m)) {
    const entries = m.entries.length === 0 ? '' : ` entries=[${formatEntries(m.entries)}]`;
    return ` prev=${m.prevLogIndex}/${m.prevLogTerm} commit=${m.leaderCommit}${entries}${noLease(m.countsForLease)}`;
  }
  if (isAppendEntriesResponse(m)) {
    return m.success ? ` ok match=${m.matchIndex}` : ` refused hint=${m.matchIndex}`;
  }
  switch (m.type) {
    case 'PreVote':
      return ` last=${m.lastLogIndex}/${m.lastLogTerm}`;
    case 'RequestVote': {
      const transfer = m.transfer ? ' transfer' : '';
      const revoked = m.leaseRevokedAt === null ? '' : ` revoked@${formatTime(m.leaseRevokedAt)}`;
      return ` last=${m.lastLogIndex}/${m.lastLogTerm}${transfer}${revoked}`;
    }
    case 'PreVoteResponse':
      return m.granted ? ' granted' : ' refused';
    case 'RequestVoteResponse':
      return m.granted ? ` granted lease-wait=${formatTime(m.leaseWaitMs)}` : ' refused';
    case 'InstallSnapshot':
      return ` snapshot=${m.snapshotIndex}/${m.snapshotTerm} commit=${m.leaderCommit}${noLease(m.countsForLease)}`;
    case 'TimeoutNow':
      return ` revoked@${formatTime(m.leaseRevokedAt)}`;
  }
}

/** A leader handing over marks its heartbeats as backing no lease. */
function noLease(countsForLease: boolean): string {
  return countsForLease ? '' : ' no-lease';
}

/** A heartbeat with nothing to append, or its successful answer: what `run` leaves out. */
export function isRoutine(m: Message): boolean {
  return (
    (isAppendEntries(m) && m.entries.length === 0) || (isAppendEntriesResponse(m) && m.success)
  );
}

export function formatRoleChange(id: string, c: RoleChange): string {
  const why = ` (${c.reason})`;
  switch (c.role) {
    case 'leader':
      return `${id} is leader at term ${c.term}${why}`;
    case 'follower':
      return c.leader === null
        ? `${id} is follower at term ${c.term}, no leader${why}`
        : `${id} follows ${c.leader} at term ${c.term}${why}`;
    default:
      return `${id} is ${c.role} at term ${c.term}${why}`;
  }
}

/** Several lines: role and term, then the log, then what it knows of each peer. */
export function formatStatus(s: Status, nextDeadline: number): string[] {
  const head = [`${s.id} ${s.role} term=${s.term} vote=${s.votedFor ?? 'none'}`];
  if (s.role !== 'leader') head.push(`leader=${s.leader ?? 'none'}`);
  if (s.role === 'leader') head.push(leaseText(s));
  const lines = [head.join(' ')];
  lines.push(
    `  log: first=${s.firstIndex} last=${s.lastIndex}/${s.lastTerm} commit=${s.commit} applied=${s.applied}`,
  );
  lines.push(`  timer=${formatTime(nextDeadline)} load=${s.cpu}/${s.background}`);
  // Shown once the membership is not the bootstrap one, so the older scenarios read as before.
  if (s.membership.index > 0 || s.selfRole !== 'voter') {
    const at = `at ${s.membership.index}`;
    lines.push(`  members: ${formatMembers(s.membership)} ${at}, this node: ${s.selfRole}`);
  }
  for (const p of s.peers) {
    const parts = [`  peer ${p.id}:`];
    if (p.matchIndex !== null) parts.push(`match=${p.matchIndex}`);
    parts.push(`heard=${p.lastContact === null ? 'never' : formatTime(p.lastContact)}`);
    parts.push(`load=${p.cpu ?? '?'}/${p.background ?? '?'}`);
    if (p.unreachableSince !== null) {
      parts.push(`unreachable-since=${formatTime(p.unreachableSince)}`);
    }
    lines.push(parts.join(' '));
  }
  return lines;
}

function leaseText(s: Status): string {
  const transfer = s.transferTarget === null ? '' : ` transferring-to=${s.transferTarget}`;
  if (!s.leaseValid || s.leaseUntil === null) return `lease=none${transfer}`;
  return `lease-until=${formatTime(s.leaseUntil)}${transfer}`;
}
