import type { NodeId } from './messages';

/**
 * Who is in the cluster, as one configuration: the voters (who elect, and whose majority
 * commits and backs the lease) and the learners (who receive the log and count for nothing).
 * `index` is the log index of the entry that set it; 0 for the bootstrap set from config.toml.
 * `apiUrls` are the members' HTTP APIs as the operator gave them (none for the bootstrap set).
 */
export interface MembershipConfig {
  index: number;
  voters: NodeId[];
  learners: NodeId[];
  apiUrls: Record<NodeId, string>;
}

/**
 * The data of a configuration-change entry in the log. It holds the whole new configuration,
 * so a node needs only the latest such entry (or its snapshot's) to know the membership.
 */
export interface MembershipCommand {
  op: 'membership';
  voters: NodeId[];
  learners: NodeId[];
  api_urls: Record<NodeId, string>;
}

/** What a member is to a configuration; `removed` is a node in none of its lists. */
export type MemberRole = 'voter' | 'learner' | 'removed';

/** The most members a configuration may list: a guard against a malformed entry, not a policy. */
const MAX_MEMBERS = 100;

function isNodeList(v: unknown): v is NodeId[] {
  return (
    Array.isArray(v) &&
    v.length <= MAX_MEMBERS &&
    v.every((n) => typeof n === 'string' && n.length > 0 && n.length <= 300)
  );
}

function isUrlMap(v: unknown): v is Record<NodeId, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((u) => typeof u === 'string')
  );
}

/** Entry data that changes the membership, checked: it came from disk or a peer. */
export function isMembershipCommand(data: unknown): data is MembershipCommand {
  const c = data as Partial<MembershipCommand> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    c.op === 'membership' &&
    isNodeList(c.voters) &&
    c.voters.length > 0 &&
    isNodeList(c.learners) &&
    isUrlMap(c.api_urls) &&
    disjoint(c.voters, c.learners)
  );
}

/** A configuration carried by a snapshot or a message, checked like an entry's. */
export function isMembershipConfig(v: unknown): v is MembershipConfig {
  const c = v as Partial<MembershipConfig> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.index === 'number' &&
    Number.isSafeInteger(c.index) &&
    c.index >= 0 &&
    isNodeList(c.voters) &&
    c.voters.length > 0 &&
    isNodeList(c.learners) &&
    isUrlMap(c.apiUrls) &&
    disjoint(c.voters, c.learners)
  );
}

function disjoint(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  const all = new Set([...a, ...b]);
  return all.size === a.length + b.length;
}

export function configOf(index: number, c: MembershipCommand): MembershipConfig {
  return {
    index,
    voters: [...c.voters].sort(),
    learners: [...c.learners].sort(),
    apiUrls: { ...c.api_urls },
  };
}

export function commandOf(c: Omit<MembershipConfig, 'index'>): MembershipCommand {
  return {
    op: 'membership',
    voters: [...c.voters].sort(),
    learners: [...c.learners].sort(),
    api_urls: { ...c.apiUrls },
  };
}

export function roleIn(config: MembershipConfig, node: NodeId): MemberRole {
  if (config.voters.includes(node)) return 'voter';
  if (config.learners.includes(node)) return 'learner';
  return 'removed';
}

/** One single-server change (Raft dissertation §4.1): what the operator asks for. */
export type MembershipChange =
  | { kind: 'add'; node: NodeId; apiUrl: string; learner: boolean }
  | { kind: 'promote'; node: NodeId }
  | { kind: 'remove'; node: NodeId };

/** The configuration `change` leads to, or why it is not a change of `config` at all. */
export function applyChange(
  config: MembershipConfig,
  change: MembershipChange,
): Omit<MembershipConfig, 'index'> | { invalid: string } | { unknown: NodeId } {
  const role = roleIn(config, change.node);
  const apiUrls = { ...config.apiUrls };
  switch (change.kind) {
    case 'add': {
      if (role !== 'removed') return { invalid: `${change.node} is already a ${role}` };
      apiUrls[change.node] = change.apiUrl;
      return change.learner
        ? { voters: config.voters, learners: [...config.learners, change.node], apiUrls }
        : { voters: [...config.voters, change.node], learners: config.learners, apiUrls };
    }
    case 'promote':
      if (role === 'removed') return { unknown: change.node };
      if (role === 'voter') return { invalid: `${change.node} is already a voter` };
      return {
        voters: [...config.voters, change.node],
        learners: config.learners.filter((n) => n !== change.node),
        apiUrls,
      };
    case 'remove':
      if (role === 'removed') return { unknown: change.node };
      if (role === 'voter' && config.voters.length === 1) {
        return { invalid: `${change.node} is the only voter: a cluster needs one` };
      }
      delete apiUrls[change.node];
      return {
        voters: config.voters.filter((n) => n !== change.node),
        learners: config.learners.filter((n) => n !== change.node),
        apiUrls,
      };
  }
}
