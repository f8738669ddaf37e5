/**
 * The frame a leader of `term` sends a follower that has nothing in its log: AppendEntries with
 * no entries, as tests that play a leader (or an impostor claiming to be one) put it on the wire.
 * The type is spelled as it travels, 'Heartbeat', so these tests also pin the wire name.
 */
export interface EmptyAppendEntries {
  type: 'Heartbeat';
  from: string;
  to: string;
  term: number;
  cpu: number;
  [field: string]: unknown;
}

export function emptyAppendEntries(fields: {
  from: string;
  to: string;
  term: number;
}): EmptyAppendEntries {
  return {
    type: 'Heartbeat',
    ...fields,
    cpu: 0,
    sentAt: 0,
    loads: {},
    countsForLease: true,
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit: 0,
  };
}
