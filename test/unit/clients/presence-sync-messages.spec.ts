import {
  deltaProblem,
  gatherProblem,
  reportProblem,
} from '../../../src/clients/presence-sync.messages';

describe('PresenceGather and PresenceReport decoders', () => {
  it('takes an ask that names a handed-over list by term and seq, or names none', () => {
    expect(gatherProblem({})).toBeNull();
    expect(gatherProblem({ handedTerm: 3, handedSeq: 0 })).toBeNull();
    const problem = 'handedTerm and handedSeq must be counts, both or neither';
    expect(gatherProblem({ handedTerm: 3 })).toBe(problem);
    expect(gatherProblem({ handedSeq: 1 })).toBe(problem);
    expect(gatherProblem({ handedTerm: -1, handedSeq: 1 })).toBe(problem);
    expect(gatherProblem({ handedTerm: 3, handedSeq: '1' })).toBe(problem);
  });

  it('takes a word of being in step only as a one-chunk, empty, known report', () => {
    const inStep = { chunk: 0, chunks: 1, known: true, inStep: true, records: [] };
    expect(reportProblem(inStep)).toBeNull();
    expect(reportProblem({ ...inStep, syncAgeMs: 12 })).toBeNull();
    const problem = 'inStep must be true, and only on a one-chunk, empty, known report';
    expect(reportProblem({ ...inStep, inStep: false })).toBe(problem);
    expect(reportProblem({ ...inStep, known: false })).toBe(problem);
    expect(reportProblem({ ...inStep, chunks: 2 })).toBe(problem);
    expect(reportProblem({ ...inStep, records: [['a', '10.0.0.1:1', 0]] })).toBe(problem);
    const copy = { chunk: 0, chunks: 1, known: true, records: [['a', '10.0.0.1:1', 0]] };
    expect(reportProblem(copy)).toBeNull();
  });
});

describe('PresenceDelta decoder', () => {
  it("takes the echo of the recipient's acknowledgement as two counts, or none", () => {
    const delta = { seq: 7, online: [], offline: [] };
    expect(deltaProblem(delta)).toBeNull();
    expect(deltaProblem({ ...delta, ackSeq: 6, ackAgoMs: 0 })).toBeNull();
    const problem = 'ackSeq and ackAgoMs must be counts, both or neither';
    expect(deltaProblem({ ...delta, ackSeq: 6 })).toBe(problem);
    expect(deltaProblem({ ...delta, ackAgoMs: 40 })).toBe(problem);
    expect(deltaProblem({ ...delta, ackSeq: 6, ackAgoMs: -1 })).toBe(problem);
    expect(deltaProblem({ ...delta, ackSeq: 6, ackAgoMs: 1.5 })).toBe(problem);
  });

  it("takes the leader's applied log index as a count", () => {
    const delta = { seq: 7, online: [], offline: [] };
    expect(deltaProblem({ ...delta, applied: 0 })).toBeNull();
    expect(deltaProblem({ ...delta, applied: -1 })).toBe('applied must be a count');
    expect(deltaProblem({ ...delta, applied: '3' })).toBe('applied must be a count');
  });
});
