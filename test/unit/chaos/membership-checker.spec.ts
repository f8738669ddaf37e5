import {
  checkFinalAgreement,
  checkLeadersAreVoters,
  checkListsMoveForward,
  checkSameIndexSameMembers,
  leadsSeen,
  notVoterSpans,
} from '../../../chaos/membership-checker';
import {
  type MemberListSeen,
  MembershipHistory,
  memberListOf,
} from '../../../chaos/membership-history';
import { Recorder } from '../../../chaos/recorder';

/** The membership invariants must catch a crafted violation, and pass the legal history. */
describe('chaos membership checker', () => {
  const t = (x: number) => `${x}`;
  const list = (
    configIndex: number,
    voters: number[],
    learners: number[],
    recv: number,
    by = 0,
    committed = true,
  ): MemberListSeen => ({ by, send: recv - 5, recv, configIndex, voters, learners, committed });

  /** 0,1,2 boot; 3 added as a learner (index 10), promoted (11); 0 removed (12). */
  function history(): MembershipHistory {
    const h = new MembershipHistory();
    h.bootstrap = [0, 1, 2];
    h.lists.push(
      list(0, [0, 1, 2], [], 100),
      list(10, [0, 1, 2], [3], 200),
      list(11, [0, 1, 2, 3], [], 300, 1),
      list(12, [1, 2, 3], [], 400, 1),
    );
    h.changes.push(
      { action: 'add', node: 3, send: 150, recv: 200, outcome: 'committed', reason: null },
      { action: 'promote', node: 3, send: 250, recv: 300, outcome: 'committed', reason: null },
      { action: 'remove', node: 0, send: 350, recv: 400, outcome: 'committed', reason: null },
    );
    return h;
  }

  it('reports one configuration index listed with two memberships', () => {
    const lists = [...history().lists, list(11, [0, 1, 2], [3], 500, 2)];
    const r = checkSameIndexSameMembers(lists);
    expect(r).toMatchObject({ checks: 5, violations: 1 });
    expect(r.examples[0]).toBe(
      'config index 11: node 1 listed voters {0,1,2,3} learners {}, node 2 listed voters {0,1,2} learners {3}',
    );
    expect(checkSameIndexSameMembers(history().lists)).toMatchObject({ checks: 4, violations: 0 });
    // A GET's list may show an entry not committed yet, which another leader may replace: one
    // asked before the committed list at its index was answered (at 300) is not compared...
    const early = [...history().lists, list(11, [0, 1, 2], [], 280, 2, false)];
    expect(checkSameIndexSameMembers(early)).toMatchObject({ checks: 5, violations: 0 });
    // ...one asked after it must agree: every leader's log holds the committed entry.
    const late = [...history().lists, list(11, [0, 1, 2], [], 500, 2, false)];
    expect(checkSameIndexSameMembers(late)).toMatchObject({ checks: 5, violations: 1 });
  });

  it('reports a list older than one answered before it was asked for', () => {
    expect(checkListsMoveForward(history().lists, t)).toMatchObject({ checks: 4, violations: 0 });
    // Asked at 495, after index 12 was answered at 400: index 11 went back.
    const r = checkListsMoveForward([...history().lists, list(11, [0, 1, 2, 3], [], 500, 2)], t);
    expect(r).toMatchObject({ checks: 5, violations: 1 });
    expect(r.examples[0]).toContain('node 2 served config index 11 (asked 495)');
    // Asked at 395, before index 12 was answered: it may have been served first.
    const crossing = [...history().lists, list(11, [0, 1, 2, 3], [], 400, 2)];
    expect(checkListsMoveForward(crossing, t)).toMatchObject({ violations: 0 });
    // An uncommitted removal (index 12) that a later leader does not have is no violation...
    const replaced = [list(12, [1, 2], [], 100, 0, false), list(11, [0, 1, 2], [], 200, 1)];
    expect(checkListsMoveForward(replaced, t)).toMatchObject({ checks: 2, violations: 0 });
    // ...but any list, committed or not, asked after a committed one was answered is as new.
    const stale = [...history().lists, list(11, [0, 1, 2, 3], [], 600, 2, false)];
    expect(checkListsMoveForward(stale, t)).toMatchObject({ checks: 5, violations: 1 });
  });

  it('knows when each node was surely not a voter', () => {
    const spans = notVoterSpans(history());
    // Removed: from the first list without it; a learner: until its promotion was asked for.
    expect(spans.get(0)).toEqual([[400, Infinity]]);
    expect(spans.get(3)).toEqual([[200, 250]]);
    expect(spans.get(1)).toBeUndefined();
    // Only a committed list shows a removal; any list shows a learner.
    const h = history();
    h.lists.push(list(13, [2, 3], [4], 500, 1, false));
    expect(notVoterSpans(h).get(1)).toBeUndefined();
    expect(notVoterSpans(h).get(4)).toEqual([[500, Infinity]]);
  });

  it('reports a removed node or a learner leading, and accepts voters', () => {
    const h = history();
    const leads = [
      { node: 0, term: 4, send: 390, how: '/discover 200' }, // asked before the removal answered
      { node: 0, term: 5, send: 450, how: 'health is_leader' }, // removed at 400
      { node: 3, term: 3, send: 220, how: '/users 200' }, // a learner from 200 to 250
      { node: 3, term: 6, send: 260, how: '/users 200' }, // promotion asked at 250
      { node: 1, term: 7, send: 900, how: '/users 200' },
    ];
    const r = checkLeadersAreVoters(h, leads, t);
    expect(r).toMatchObject({ checks: 5, violations: 2 });
    expect(r.examples).toEqual([
      'node 0 led term 5 (health is_leader, asked 450) while not a voter since 400',
      'node 3 led term 3 (/users 200, asked 220) while not a voter since 200',
    ]);
  });

  it('takes leads from leader-served 200s and from health claims with their send time', () => {
    const rec = new Recorder();
    rec.leaderAnswers.push({
      node: 1,
      term: 2,
      route: '/discover',
      send: 10,
      recv: 20,
      source: 'prober',
    });
    rec.claims.push({ term: 2, node: 1, how: 'health', at: 40, send: 30 });
    rec.claims.push({ term: 2, node: 1, how: 'answer', at: 20 });
    expect(leadsSeen(rec)).toEqual([
      { node: 1, term: 2, send: 10, how: '/discover 200' },
      { node: 1, term: 2, send: 30, how: 'health is_leader' },
    ]);
  });

  it('reports members disagreeing with the final list, and members that did not answer', () => {
    const h = history();
    h.final.list = list(12, [1, 2, 3], [], 1000, 1);
    h.final.own = [
      { node: 1, role: 'voter', configIndex: 12 },
      { node: 2, role: 'voter', configIndex: 11 },
      { node: 0, role: 'removed', configIndex: 12 },
    ];
    const r = checkFinalAgreement(h);
    expect(r).toMatchObject({ checks: 4, violations: 2 });
    expect(r.examples).toEqual([
      'node 2 says voter at config index 11; the leader lists it as voter at 12',
      'member 3 did not answer after healing',
    ]);
    h.final.own = [
      { node: 1, role: 'voter', configIndex: 12 },
      { node: 2, role: 'voter', configIndex: 12 },
      { node: 3, role: 'voter', configIndex: 12 },
    ];
    expect(checkFinalAgreement(h)).toMatchObject({ checks: 3, violations: 0 });
    // A node removed while it was down never hears of it: it may say voter at an older index,
    // not at the final one.
    h.final.own.push({ node: 0, role: 'voter', configIndex: 11 });
    expect(checkFinalAgreement(h)).toMatchObject({ checks: 4, violations: 0 });
    h.final.own[3] = { node: 0, role: 'voter', configIndex: 12 };
    expect(checkFinalAgreement(h)).toMatchObject({ checks: 4, violations: 1 });
  });

  it('reads a member list by slot, an address no slot has as -1', () => {
    const body = {
      config_index: 9,
      members: [
        { node: 'b:2', role: 'voter' },
        { node: 'x:9', role: 'voter' },
        { node: 'c:3', role: 'learner' },
      ],
    };
    const seen = memberListOf({ by: 1, send: 5, recv: 8, body }, ['a:1', 'b:2', 'c:3'], false);
    expect(seen).toEqual({ ...list(9, [1, -1], [2], 8, 1, false), send: 5 });
  });

  it('reports a run that ends without any leader serving the member list', () => {
    expect(checkFinalAgreement(new MembershipHistory())).toMatchObject({
      checks: 1,
      violations: 1,
    });
  });
});
