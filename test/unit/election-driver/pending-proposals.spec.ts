import { LeaseNotHeldError } from '../../../src/common/http/leadership-errors';
import { PendingProposals } from '../../../src/election/pending-proposals';

describe('PendingProposals', () => {
  it("answers a proposal with the state machine's result once its entry is applied", async () => {
    const pending = new PendingProposals<string>();
    const answer = pending.add({ index: 3, term: 2 });
    pending.applied(2, 2, 'not ours');
    pending.applied(3, 2, 'registered');
    await expect(answer).resolves.toBe('registered');
  });

  it("refuses a proposal whose index another leader's entry took", async () => {
    const pending = new PendingProposals<string>();
    const answer = pending.add({ index: 3, term: 2 });
    pending.applied(3, 3, 'someone else');
    await expect(answer).rejects.toBeInstanceOf(LeaseNotHeldError);
  });

  it('refuses every waiting proposal when leadership is lost', async () => {
    const pending = new PendingProposals<string>();
    const answers = [pending.add({ index: 1, term: 1 }), pending.add({ index: 2, term: 1 })];
    pending.failAll();
    for (const a of answers) await expect(a).rejects.toBeInstanceOf(LeaseNotHeldError);
    // Nothing is left waiting: a late apply answers nobody.
    expect(() => pending.applied(1, 1, 'late')).not.toThrow();
  });
});
