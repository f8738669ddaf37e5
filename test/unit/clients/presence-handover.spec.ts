import { A, B, C, names, track, turn, useCluster } from '../../support/presence-cluster';

/**
 * A leader that hands over sends its last delta marked final; the next leader names that list
 * as it gathers, and a node whose copy gained nothing since answers in a word. These cases
 * follow a handover that is abandoned, the old leader answering heartbeats again, and the ask
 * of the next leader reaching nodes that still lag a term behind.
 */
const c = useCluster([A, B, C]);

/**
 * A hands over to B: its final delta reaches B and C. B then goes out of reach and does not
 * take over in time, so A abandons the transfer and leads on in term 2.
 */
async function handOverToBThenLoseB(): Promise<void> {
  c.nodes[A].leadership.handingOver(B);
  await c.settle();
  c.net.cut.add(B);
}

/** A is gone, B is back and wins term 3 with C's vote. */
async function aDiesAndBLeads(): Promise<void> {
  c.net.cut.add(A);
  c.net.cut.delete(B);
  c.nodes[C].leadership.update({ role: 'follower', term: 3, leader: B, leaderApi: null });
  c.nodes[B].leadership.update({ role: 'leader', term: 3, leader: B, leaderApi: null }, () => true);
  await c.settle();
}

/** B wins term 3 with A's vote; A, still running, and C follow it. */
async function bLeadsWithAAlive(): Promise<void> {
  c.net.cut.delete(B);
  for (const n of [A, C])
    c.nodes[n].leadership.update({ role: 'follower', term: 3, leader: B, leaderApi: null });
  c.nodes[B].leadership.update({ role: 'leader', term: 3, leader: B, leaderApi: null }, () => true);
  await c.settle();
}

const reportsOf = (from: string) =>
  c.net.sent.filter((f) => f.type === 'PresenceReport' && f.from === from).map((f) => f.body);

describe('a handover abandoned, then the old leader crashes', () => {
  it('a heartbeat the old leader answered after it resumed is in the next leader’s list', async () => {
    await handOverToBThenLoseB();
    const a = c.nodes[A];
    const beat = track(a.replicator.confirmation(a.presence.heartbeat('bob', '10.0.0.2:1'))!);
    await c.settle(); // its delta reaches C, C acknowledges it: A and C hold it
    expect(beat.settled).toBe('held');
    await aDiesAndBLeads();
    expect(names(c.nodes[B])).toEqual(['bob']);
    expect(names(c.nodes[C])).toEqual(['bob']);
  });

  it('a heartbeat answered through a follower after the leader resumed is in the next leader’s list', async () => {
    await handOverToBThenLoseB();
    const beat = track(c.nodes[C].forwarder.forward('bob', '10.0.0.2:1'));
    await turn(); // the batch goes out
    expect(c.net.queue.map((f) => f.type)).toEqual(['PresenceForward']);
    c.net.deliverNext(); // A applies it and answers C as its second holder
    expect(c.net.queue.map((f) => f.type)).toEqual(['PresenceForwardAck']);
    c.net.deliverNext(); // C keeps it and answers 200; A dies before its next delta
    await turn();
    expect(beat.settled).toBe('held');
    await aDiesAndBLeads();
    expect(names(c.nodes[B])).toEqual(['bob']);
    expect(names(c.nodes[C])).toEqual(['bob']);
  });
});

describe('the next leader’s ask, reaching a follower still in the old term', () => {
  it.each([
    ['handed the list', true],
    ['after an election', false],
  ])(
    'a follower asked by the new leader (%s) before it is in the new term answers only once it is',
    async (_, handedOver) => {
      if (handedOver) await handOverToBThenLoseB();
      else c.net.cut.add(B);
      const beat = track(c.nodes[C].forwarder.forward('bob', '10.0.0.2:1'));
      await turn(); // the batch leaves for A
      // B wins term 3 (A's vote, as a transfer's, ignores A's own lease) and asks for copies.
      c.net.cut.delete(B);
      c.nodes[B].leadership.update(
        { role: 'leader', term: 3, leader: B, leaderApi: null },
        () => true,
      );
      const queued = c.net.queue.map((f) => `${f.type} to ${f.to}`);
      expect(queued).toEqual([
        `PresenceForward to ${A}`,
        `PresenceGather to ${A}`,
        `PresenceGather to ${C}`,
      ]);
      c.net.deliverNext(); // A applies the batch and answers C as its second holder
      c.net.deliverNext(); // B's ask to A: A still leads term 2 in its own view and ignores it
      c.net.deliverNext(); // B's ask to C, which is still in term 2
      c.net.deliverNext(); // A's answer: C keeps bob, who hears 200
      await turn();
      expect(beat.settled).toBe('held');
      c.net.cut.add(A); // A dies
      c.nodes[C].leadership.update({ role: 'follower', term: 3, leader: B, leaderApi: null });
      await c.settle();
      expect(names(c.nodes[B])).toEqual(['bob']);
      expect(names(c.nodes[C])).toEqual(['bob']);
    },
  );
});

describe('the leader that handed over, still running, asked by its successor', () => {
  it('answers in a word when its list gained nothing since its final delta', async () => {
    c.nodes[A].presence.heartbeat('alice', '10.0.0.1:1');
    c.nodes[A].leadership.handingOver(B);
    await c.settle();
    await bLeadsWithAAlive();
    expect(reportsOf(A)).toEqual([
      {
        chunk: 0,
        chunks: 1,
        known: true,
        syncAgeMs: expect.any(Number),
        inStep: true,
        records: [],
      },
    ]);
    expect(names(c.nodes[B])).toEqual(['alice']);
  });

  it('sends its copy when it abandoned the handover and answered a heartbeat', async () => {
    await handOverToBThenLoseB();
    const a = c.nodes[A];
    const beat = track(a.replicator.confirmation(a.presence.heartbeat('bob', '10.0.0.2:1'))!);
    await c.settle(); // C holds its delta: A answers 200
    expect(beat.settled).toBe('held');
    c.net.cut.add(C); // B's majority is itself and A
    await bLeadsWithAAlive();
    expect(reportsOf(A)).toEqual([
      expect.objectContaining({ records: [['bob', '10.0.0.2:1', expect.any(Number)]] }),
    ]);
    expect(names(c.nodes[B])).toEqual(['bob']);
  });
});
