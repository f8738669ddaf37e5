import {
  ElectionCore,
  type CoreOptions,
  APPEND_ENTRIES,
  type AppendEntries,
  type Message,
  type NodeId,
  type Ready,
  type RequestVote,
} from '../../../../src/election/consensus';
import { mulberry32 } from './prng';
import { DEFAULT_TIMING } from './timing';

export const A: NodeId = '10.0.0.1:7000';
export const B: NodeId = '10.0.0.2:7000';
export const C: NodeId = '10.0.0.3:7000';

/** A core for direct tests: member A of {A, B, C}, config.toml timings, empty log, time 0. */
export function coreOptions(overrides: Partial<CoreOptions> = {}): CoreOptions {
  return {
    id: A,
    peers: [A, B, C],
    ...DEFAULT_TIMING,
    random: mulberry32(1),
    initial: { hardState: { term: 0, votedFor: null } },
    now: 0,
    ...overrides,
  };
}

export function makeCore(overrides: Partial<CoreOptions> = {}): ElectionCore {
  const core = new ElectionCore(coreOptions(overrides));
  core.ready();
  return core;
}

/** A Ready with nothing to do, or with just `fields`. */
export function readyOf(fields: Partial<Ready> = {}): Ready {
  return {
    hardState: null,
    snapshot: null,
    entries: [],
    committed: [],
    messages: [],
    roleChanges: [],
    ...fields,
  };
}

/** Builds a message as a peer would send it; `cpu` defaults to 50. */
export function msg<T extends Message['type']>(
  type: T,
  fields: Omit<Extract<Message, { type: T }>, 'type' | 'cpu'> & { cpu?: number },
): Extract<Message, { type: T }> {
  return { cpu: 50, ...fields, type } as Extract<Message, { type: T }>;
}

/** A lease-backing heartbeat from leader `from` to A. */
export function heartbeat(
  from: NodeId,
  term: number,
  sentAt: number,
  extra: Partial<AppendEntries> = {},
) {
  return msg(APPEND_ENTRIES, {
    from,
    to: A,
    term,
    sentAt,
    loads: {},
    countsForLease: true,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit: 0,
    ...extra,
  });
}

/** A vote request to A from a candidate with an empty log. */
export function requestVote(from: NodeId, term: number, extra: Partial<RequestVote> = {}) {
  return msg('RequestVote', {
    from,
    to: A,
    term,
    lastLogIndex: 0,
    lastLogTerm: 0,
    transfer: false,
    leaseRevokedAt: null,
    ...extra,
  });
}

/** Ticks a core at its own deadlines until `done` holds or `until` passes; returns the time. */
export function tickUntil(core: ElectionCore, done: () => boolean, until: number): number {
  let now = 0;
  while (!done()) {
    now = core.nextDeadline();
    if (!(now <= until)) throw new Error(`condition not met by ${until}`);
    core.tick(now);
  }
  return now;
}
