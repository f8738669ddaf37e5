import { checkEnvelope } from '../../../src/election/transport/envelope';
import { toMessage } from '../../../src/election/wire-message';

const base = { from: '127.0.0.1:8081', to: '127.0.0.1:8080', term: 3, cpu: 12.5, api: 'http://x' };

describe('wire messages', () => {
  it.each([
    { type: 'PreVote', lastLogIndex: 0, lastLogTerm: 0 },
    { type: 'PreVoteResponse', granted: true },
    { type: 'RequestVote', lastLogIndex: 0, lastLogTerm: 0, transfer: false, leaseRevokedAt: null },
    { type: 'RequestVoteResponse', granted: false, leaseWaitMs: 12 },
    { type: 'Heartbeat', sentAt: 1.5, loads: { '127.0.0.1:8082': 40 }, countsForLease: true },
    { type: 'HeartbeatResponse', sentAt: 1.5, lastLogIndex: 0 },
    { type: 'TimeoutNow', leaseRevokedAt: 99 },
  ])('accepts a well-formed $type', (fields) => {
    const env = checkEnvelope({ ...base, ...fields });
    expect(typeof env).toBe('object');
    expect(toMessage(env as never)).toEqual({ ...base, ...fields });
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
    [
      { ...base, type: 'Heartbeat', sentAt: 1, loads: { a: 500 }, countsForLease: true },
      'malformed Heartbeat message',
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
