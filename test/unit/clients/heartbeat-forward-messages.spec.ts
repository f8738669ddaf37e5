import { forwardAckProblem, forwardProblem } from '../../../src/clients/heartbeat-forward.messages';
import { deltaProblem } from '../../../src/clients/presence-sync.messages';

/** The election port's decoders for follower heartbeats: anything short of the type is refused. */
describe('PresenceForward and PresenceForwardAck decoders', () => {
  it('takes a batch of [username, addr] beats', () => {
    expect(forwardProblem({ batch: 0, beats: [['alice', '10.0.0.1:1']] })).toBeNull();
    expect(forwardProblem({ batch: 7, beats: Array(2000).fill(['a', 'b:1']) })).toBeNull();
    expect(forwardProblem({ batch: 0, beats: [['a', 'b:1']], holds: true })).toBeNull();
  });

  it.each([
    [{ beats: [['a', 'b:1']] }, 'batch must be a count'],
    [{ batch: -1, beats: [['a', 'b:1']] }, 'batch must be a count'],
    [{ batch: 1.5, beats: [['a', 'b:1']] }, 'batch must be a count'],
    [{ batch: '1', beats: [['a', 'b:1']] }, 'batch must be a count'],
    [{ batch: 1 }, 'beats must be an array of 1 to 2000'],
    [{ batch: 1, beats: [] }, 'beats must be an array of 1 to 2000'],
    [{ batch: 1, beats: Array(2001).fill(['a', 'b:1']) }, 'beats must be an array of 1 to 2000'],
    [{ batch: 1, beats: { 0: ['a', 'b:1'] } }, 'beats must be an array of 1 to 2000'],
    [{ batch: 1, beats: [['a']] }, 'a beat must be [username, addr]'],
    [{ batch: 1, beats: [['a', 'b:1', 3]] }, 'a beat must be [username, addr]'],
    [{ batch: 1, beats: [['', 'b:1']] }, 'a beat must be [username, addr]'],
    [{ batch: 1, beats: [['a'.repeat(65), 'b:1']] }, 'a beat must be [username, addr]'],
    [{ batch: 1, beats: [['a', '']] }, 'a beat must be [username, addr]'],
    [{ batch: 1, beats: [['a', 'x'.repeat(301)]] }, 'a beat must be [username, addr]'],
    [{ batch: 1, beats: [[1, 'b:1']] }, 'a beat must be [username, addr]'],
    [{ batch: 1, beats: ['a b:1'] }, 'a beat must be [username, addr]'],
    [{ batch: 1, beats: [['a', 'b:1']], holds: false }, 'holds must be true when present'],
    [{ batch: 1, beats: [['a', 'b:1']], holds: 'yes' }, 'holds must be true when present'],
  ])('refuses %j: %s', (fields, problem) => {
    expect(forwardProblem(fields)).toBe(problem);
  });

  it('takes an acknowledgement with batch numbers and whether they are held', () => {
    const tooMany = 'batches must be 1 to 2000 counts';
    expect(forwardAckProblem({ batches: [3], held: true })).toBeNull();
    expect(forwardAckProblem({ batches: [0, 1, 7], held: false })).toBeNull();
    expect(forwardAckProblem({ batches: [3], held: true, holder: true })).toBeNull();
    const holderRule = 'holder must be true, and only on held batches, when present';
    expect(forwardAckProblem({ batches: [3], held: false, holder: true })).toBe(holderRule);
    expect(forwardAckProblem({ batches: [3], held: true, holder: false })).toBe(holderRule);
    expect(forwardAckProblem({ batches: [3], held: true, holder: 1 })).toBe(holderRule);
    expect(
      forwardAckProblem({ batches: Array.from({ length: 2000 }, (_, i) => i), held: true }),
    ).toBeNull();
    expect(forwardAckProblem({ held: true })).toBe(tooMany);
    expect(forwardAckProblem({ batches: [], held: true })).toBe(tooMany);
    expect(forwardAckProblem({ batches: 3, held: true })).toBe(tooMany);
    expect(forwardAckProblem({ batches: [2 ** 53], held: true })).toBe(tooMany);
    expect(forwardAckProblem({ batches: [-1], held: true })).toBe(tooMany);
    expect(
      forwardAckProblem({ batches: Array.from({ length: 2001 }, (_, i) => i), held: true }),
    ).toBe(tooMany);
    expect(forwardAckProblem({ batches: [3] })).toBe('held must be a boolean');
    expect(forwardAckProblem({ batches: [3], held: 1 })).toBe('held must be a boolean');
  });

  it('takes a presence delta carrying held batches, or none, and nothing else there', () => {
    const delta = { seq: 4, online: [['alice', '10.0.0.1:1', 0]], offline: [] };
    expect(deltaProblem(delta)).toBeNull();
    expect(deltaProblem({ ...delta, held: [2, 3] })).toBeNull();
    const problem = 'held: batches must be 1 to 2000 counts';
    expect(deltaProblem({ ...delta, held: [] })).toBe(problem);
    expect(deltaProblem({ ...delta, held: ['2'] })).toBe(problem);
    expect(deltaProblem({ ...delta, held: true })).toBe(problem);
  });
});
