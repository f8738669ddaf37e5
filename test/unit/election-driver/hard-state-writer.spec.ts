import { Logger } from '@nestjs/common';
import type { HardState } from '../../../src/election/consensus/core-options';
import { HardStateWriter } from '../../../src/election/hard-state-writer';
import { FakeClock } from '../../support/fake-clock';

class Store {
  readonly saved: HardState[] = [];
  failing = false;
  load(): HardState {
    return { term: 0, votedFor: null };
  }
  save(state: HardState): void {
    if (this.failing) throw new Error('disk full');
    this.saved.push(state);
  }
}

describe('HardStateWriter', () => {
  let store: Store;
  let clock: FakeClock;
  let warn: jest.SpyInstance;
  let writer: HardStateWriter;

  beforeEach(() => {
    store = new Store();
    clock = new FakeClock();
    const logger = new Logger('test');
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    writer = new HardStateWriter(store, clock, logger);
  });

  it('saves every change of term or vote at once', () => {
    writer.save({ term: 1, votedFor: null, commit: 0 });
    writer.save({ term: 1, votedFor: 'b', commit: 0 });
    writer.save({ term: 2, votedFor: null, commit: 0 });
    expect(store.saved.map((s) => [s.term, s.votedFor])).toEqual([
      [1, null],
      [1, 'b'],
      [2, null],
    ]);
  });

  it('saves a change of the commit index alone at most once a second', () => {
    writer.save({ term: 1, votedFor: 'b', commit: 1 });
    clock.advance(999);
    writer.save({ term: 1, votedFor: 'b', commit: 2 });
    expect(store.saved.map((s) => s.commit)).toEqual([1]);
    clock.advance(1);
    writer.save({ term: 1, votedFor: 'b', commit: 3 });
    expect(store.saved.map((s) => s.commit)).toEqual([1, 3]);
  });

  it('throws when a vote cannot be written: it must not be sent', () => {
    store.failing = true;
    expect(() => writer.save({ term: 1, votedFor: 'b', commit: 0 })).toThrow('disk full');
  });

  it('says once, without throwing, that the commit index alone could not be written', () => {
    writer.save({ term: 1, votedFor: 'b', commit: 1 });
    store.failing = true;
    for (const commit of [2, 3]) {
      clock.advance(1000);
      expect(() => writer.save({ term: 1, votedFor: 'b', commit })).not.toThrow();
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/commit index 2 not saved \(disk full\)/);
    store.failing = false;
    clock.advance(1000);
    writer.save({ term: 1, votedFor: 'b', commit: 4 });
    expect(store.saved.map((s) => s.commit)).toEqual([1, 4]);
  });
});
