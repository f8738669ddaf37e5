import type { ClusterDto } from '../cluster/cluster.dto';
import type { HealthDto } from '../health/health.dto';
import { type CliIo, table } from './cli-io';

/** What GET / and GET /cluster answer (the server's own types: the CLI reads their fields). */
type Health = Pick<HealthDto, 'node' | 'is_leader' | 'current_leader' | 'term' | 'log'>;
type ClusterView = Pick<ClusterDto, 'nodes'>;

/** One member's line of the status table. */
export interface MemberStatus {
  node: string;
  api: string | null;
  /** As the member says itself when it answered, else as the leader (or any node) sees it. */
  role: string;
  term: number | null;
  leader: string | null;
  /** Entries the leader has applied that this member has not; null when either did not answer. */
  log_lag: number | null;
  load: number | null;
  last_contact_ms: number | null;
  answered: boolean;
}

export interface ClusterStatus {
  leader: string | null;
  term: number | null;
  members: MemberStatus[];
  /** Endpoints that did not answer, with why. */
  unreachable: { endpoint: string; error: string }[];
}

const TIMEOUT_MS = 3000;

async function getJson<T>(io: CliIo, url: string): Promise<T> {
  const res = await (io.fetch ?? fetch)(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Asks every endpoint for GET / and GET /cluster (no token needed) and puts the answers together. */
export async function gatherStatus(endpoints: string[], io: CliIo): Promise<ClusterStatus> {
  const answers = await Promise.all(
    endpoints.map(async (endpoint) => {
      try {
        const [health, view] = await Promise.all([
          getJson<Health>(io, `${endpoint}/`),
          getJson<ClusterView>(io, `${endpoint}/cluster`),
        ]);
        return { endpoint, health, view };
      } catch (err) {
        const why = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
        return { endpoint, error: why };
      }
    }),
  );
  const reached = answers.flatMap((a) => ('health' in a && a.health ? [a] : []));
  const leaderAnswer = reached.find((a) => a.health.is_leader);
  const view = (leaderAnswer ?? reached[0])?.view;
  const healthOf = new Map(reached.map((a) => [a.health.node, a.health]));
  const leaderApplied = leaderAnswer?.health.log.applied_index;
  const members = (view?.nodes ?? []).map((seen): MemberStatus => {
    const own = healthOf.get(seen.node);
    return {
      node: seen.node,
      api: seen.api,
      role: own ? (own.is_leader ? 'leader' : 'follower') : seen.role,
      term: own?.term ?? seen.term,
      leader: own?.current_leader ?? null,
      log_lag:
        own && leaderApplied !== undefined
          ? Math.max(0, leaderApplied - own.log.applied_index)
          : null,
      load: seen.cpu,
      last_contact_ms: seen.last_contact_ms,
      answered: own !== undefined,
    };
  });
  return {
    leader: leaderAnswer?.health.node ?? null,
    term: leaderAnswer?.health.term ?? null,
    members,
    unreachable: answers.flatMap((a) =>
      'error' in a ? [{ endpoint: a.endpoint, error: a.error! }] : [],
    ),
  };
}

const dash = (v: string | number | null, unit = '') =>
  v === null || v === undefined ? '-' : `${String(v)}${unit}`;

export function renderStatus(s: ClusterStatus): string {
  const rows = s.members.map((m) => [
    m.node,
    m.answered ? m.role : `${m.role}?`,
    dash(m.term),
    dash(m.leader),
    dash(m.log_lag),
    dash(m.load, '%'),
    dash(m.last_contact_ms, ' ms'),
    dash(m.api),
  ]);
  const head = ['NODE', 'ROLE', 'TERM', 'LEADER', 'LOG LAG', 'LOAD', 'LAST CONTACT', 'API'];
  const notes = s.unreachable.map((u) => `unreachable: ${u.endpoint} (${u.error})\n`);
  const summary =
    s.leader === null
      ? 'no leader: no endpoint that answered is a leader (an election, or no quorum)\n'
      : `leader ${s.leader} in term ${s.term}\n`;
  return table(head, rows) + notes.join('') + summary;
}
