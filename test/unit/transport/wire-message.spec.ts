import { checkEnvelope } from '../../../src/election/transport/envelope';
import { toMessage } from '../../../src/election/wire-message';

const base = { from: '127.0.0.1:8081', to: '127.0.0.1:8080', term: 3, cpu: 12.5, api: 'http://x' };

/** A well-formed AppendEntries after (prevLogIndex 4, prevLogTerm 2). */
const append = {
  ...base,
  type: 'Heartbeat',
  sentAt: 1.5,
  loads: {},
  countsForLease: true,
  prevLogIndex: 4,
  prevLogTerm: 2,
  entries: [
    { index: 5, term: 2, data: { username: 'ann' } },
    { index: 6, term: 3, data: null },
  ],
  leaderCommit: 4,
};

const snapshot = {
  ...base,
  type: 'InstallSnapshot',
  sentAt: 2,
  loads: {},
  countsForLease: false,
  snapshotIndex: 100,
  snapshotTerm: 3,
  data: { users: [] },
  leaderCommit: 120,
};

const many = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ index: 5 + i, term: 2, data: i }));

describe('wire messages', () => {
  it.each([
    { type: 'PreVote', lastLogIndex: 0, lastLogTerm: 0 },
    { type: 'PreVoteResponse', granted: true },
    { type: 'RequestVote', lastLogIndex: 0, lastLogTerm: 0, transfer: false, leaseRevokedAt: null },
    { type: 'RequestVoteResponse', granted: false, leaseWaitMs: 12 },
    {
      type: 'Heartbeat',
      sentAt: 1.5,
      loads: { '127.0.0.1:8082': 40 },
      countsForLease: true,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [],
      leaderCommit: 0,
    },
    { type: 'HeartbeatResponse', sentAt: 1.5, lastLogIndex: 0, success: true, matchIndex: 0 },
    { type: 'HeartbeatResponse', sentAt: 1.5, lastLogIndex: 9, success: false, matchIndex: 3 },
    { type: 'TimeoutNow', leaseRevokedAt: 99 },
    { type: 'PreVote', lastLogIndex: 0, lastLogTerm: 0, background: 7.5 },
    {
      type: 'Heartbeat',
      sentAt: 1.5,
      loads: { '127.0.0.1:8082': 40 },
      backgrounds: { '127.0.0.1:8082': 25 },
      countsForLease: true,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [],
      leaderCommit: 0,
      background: 0,
    },
  ])('accepts a well-formed $type', (fields) => {
    const env = checkEnvelope({ ...base, ...fields });
    expect(typeof env).toBe('object');
    expect(toMessage(env as never)).toEqual({ ...base, ...fields });
  });

  it('accepts AppendEntries with entries, the most entries allowed, and InstallSnapshot', () => {
    for (const frame of [append, { ...append, entries: many(10_000) }, snapshot]) {
      const env = checkEnvelope(frame);
      expect(typeof env).toBe('object');
      expect(toMessage(env as never)).toEqual(frame);
    }
  });

  it('refuses a Heartbeat that lacks the replication fields, wholly or in part', () => {
    const bare = { ...base, type: 'Heartbeat', sentAt: 1, loads: {}, countsForLease: true };
    expect(toMessage(checkEnvelope(bare) as never)).toBe('malformed Heartbeat message');
    const partial = { ...bare, prevLogIndex: 0 };
    expect(toMessage(checkEnvelope(partial) as never)).toBe('malformed Heartbeat message');
  });

  it.each([
    ['more than 10,000 entries', { entries: many(10_001) }],
    ['entries not an array', { entries: { 0: { index: 5, term: 2, data: 1 } } }],
    ['an entry that is not an object', { entries: [5] }],
    ['an entry without data', { entries: [{ index: 5, term: 2 }] }],
    ['a non-integer index', { entries: [{ index: 5.5, term: 2, data: 1 }] }],
    ['a string index', { entries: [{ index: '5', term: 2, data: 1 }] }],
    ['a gap after prevLogIndex', { entries: [{ index: 6, term: 2, data: 1 }] }],
    [
      'indexes out of order',
      {
        entries: [
          { index: 5, term: 2, data: 1 },
          { index: 5, term: 2, data: 2 },
        ],
      },
    ],
    ['a negative term', { entries: [{ index: 5, term: -1, data: 1 }] }],
    ['a term below prevLogTerm', { entries: [{ index: 5, term: 1, data: 1 }] }],
    ['a term above the message term', { entries: [{ index: 5, term: 4, data: 1 }] }],
    ['a non-integer term', { entries: [{ index: 5, term: 2.5, data: 1 }] }],
    ['a missing prevLogIndex', { prevLogIndex: undefined }],
    ['a fractional prevLogIndex', { prevLogIndex: 4.5 }],
    ['a negative prevLogTerm', { prevLogTerm: -2 }],
    ['a prevLogTerm above the term', { prevLogTerm: 4 }],
    ['a missing leaderCommit', { leaderCommit: undefined }],
    ['a huge leaderCommit', { leaderCommit: 2 ** 60 }],
  ])('refuses AppendEntries with %s', (_what, fields) => {
    const env = checkEnvelope({ ...append, ...fields });
    expect(toMessage(env as never)).toBe('malformed Heartbeat message');
  });

  it.each([
    ['a fractional snapshotIndex', { snapshotIndex: 1.5 }],
    ['a negative snapshotTerm', { snapshotTerm: -1 }],
    ['a snapshotTerm above the term', { snapshotTerm: 9 }],
    ['no data', { data: undefined }],
    ['no lease flag', { countsForLease: undefined }],
    ['no leaderCommit', { leaderCommit: undefined }],
  ])('refuses InstallSnapshot with %s', (_what, fields) => {
    const env = checkEnvelope({ ...snapshot, ...fields });
    expect(toMessage(env as never)).toBe('malformed InstallSnapshot message');
  });

  it.each([
    ['no success flag', { success: undefined }],
    ['a fractional matchIndex', { matchIndex: 1.5 }],
    ['a negative matchIndex', { matchIndex: -1 }],
  ])('refuses HeartbeatResponse with %s', (_what, fields) => {
    const frame = {
      ...base,
      type: 'HeartbeatResponse',
      sentAt: 1,
      lastLogIndex: 0,
      success: true,
      matchIndex: 0,
    };
    const env = checkEnvelope({ ...frame, ...fields });
    expect(toMessage(env as never)).toBe('malformed HeartbeatResponse message');
  });

  it.each([
    [{ ...base, type: 'Heartbeat', sentAt: 1, loads: {} }, 'malformed Heartbeat message'],
    [
      {
        ...base,
        type: 'RequestVote',
        lastLogIndex: -1,
        lastLogTerm: 0,
        transfer: false,
        leaseRevokedAt: null,
      },
      'malformed RequestVote message',
    ],
    [
      { ...base, type: 'RequestVoteResponse', granted: true },
      'malformed RequestVoteResponse message',
    ],
    [{ ...base, type: 'TimeoutNow' }, 'malformed TimeoutNow message'],
    [{ ...append, loads: { a: 500 } }, 'malformed Heartbeat message'],
    [{ ...append, backgrounds: { a: -1 } }, 'malformed Heartbeat message'],
    [{ ...append, backgrounds: [40] }, 'malformed Heartbeat message'],
    [{ ...snapshot, backgrounds: null }, 'malformed InstallSnapshot message'],
    [
      { ...base, type: 'TimeoutNow', leaseRevokedAt: 1, background: 101 },
      'malformed TimeoutNow message',
    ],
    [
      { ...base, type: 'TimeoutNow', leaseRevokedAt: 1, background: '5' },
      'malformed TimeoutNow message',
    ],
    [{ ...base, type: 'AppendEverything' }, 'unknown message type "AppendEverything"'],
    [{ ...base, type: '__proto__' }, 'unknown message type "__proto__"'],
  ])('refuses %j', (frame, why) => {
    const env = checkEnvelope(frame);
    expect(typeof env).toBe('object');
    expect(toMessage(env as never)).toBe(why);
  });

  it.each([
    [null, 'frame is not a JSON object'],
    [[1], 'frame is not a JSON object'],
    [{ ...base, type: 7 }, 'frame has no message type'],
    [{ ...base, type: 'PreVote', to: undefined }, 'frame has no from/to'],
    [{ ...base, type: 'PreVote', term: -1 }, 'bad term'],
    [{ ...base, type: 'PreVote', term: 1.5 }, 'bad term'],
    [{ ...base, type: 'PreVote', cpu: 101 }, 'bad cpu'],
    [{ ...base, type: 'PreVote', cpu: 'high' }, 'bad cpu'],
    [{ ...base, type: 'PreVote', api: 5 }, 'bad api url'],
  ])('refuses the envelope %j', (frame, why) => {
    expect(checkEnvelope(frame)).toBe(why);
  });
});
