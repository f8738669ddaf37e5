import { TurnEndWrites } from '../../../src/platform/turn-end-writes';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnEndWrites', () => {
  it('holds every write handed to it in a turn until the turn has run, then runs them in order', async () => {
    const writes = new TurnEndWrites();
    const done: string[] = [];
    writes.add(() => done.push('a'));
    await Promise.resolve(); // microtasks of the same turn: still held
    writes.add(() => done.push('b'));
    expect(done).toEqual([]);
    await nextTurn();
    expect(done).toEqual(['a', 'b']);
  });

  it('runs a write handed to it while it runs the others in the next turn, not in the same pass', async () => {
    const writes = new TurnEndWrites();
    const done: string[] = [];
    writes.add(() => {
      done.push('a');
      writes.add(() => done.push('late'));
    });
    await nextTurn();
    expect(done).toEqual(['a']);
    await nextTurn();
    expect(done).toEqual(['a', 'late']);
  });
});
