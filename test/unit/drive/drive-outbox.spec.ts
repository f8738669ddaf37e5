import { DriveHealth } from '../../../src/drive/drive-health';
import { DriveOutbox, type OutboxReporter } from '../../../src/drive/drive-outbox';
import { RetryPolicy } from '../../../src/drive/retry-policy';
import type { RegisteredUser } from '../../../src/storage/registered-user';
import type { PutOutcome, UserPage, UserStore } from '../../../src/storage/user-store';
import { FakeClock } from '../../support/fake-clock';
import { waitFor } from '../../support/poll';

const user = (username: string, n = 1): RegisteredUser => ({
  user_id: `id-${username}-${n}`,
  username,
  addr: `127.0.0.1:${9000 + n}`,
  registered_at: '2026-11-26T10:00:00.000Z',
});

/**
 * The queue's logic against a store kept in memory: the Drive side of the same contract is
 * tested over HTTP against the emulator (test/unit/drive/drive-repository.spec.ts).
 */
class MemoryStore implements UserStore {
  readonly files = new Map<string, RegisteredUser>();
  readonly puts: string[] = [];
  failWith: Error | null = null;
  /** Names whose file is someone's unreadable work: never written. */
  readonly unreadable = new Map<string, string>();
  /** Puts that have started but are held until released. */
  private held: (() => void)[] = [];
  hold = false;

  async put(u: RegisteredUser): Promise<PutOutcome> {
    this.puts.push(u.username);
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.failWith) throw this.failWith;
    const why = this.unreadable.get(u.username);
    if (why !== undefined) return { kind: 'left-alone', file: `${u.username}.json`, why };
    const had = this.files.get(u.username);
    this.files.set(u.username, u);
    return had ? 'already-there' : 'created';
  }

  release(): void {
    this.hold = false;
    for (const resolve of this.held.splice(0)) resolve();
  }

  async *readAll(): AsyncGenerator<UserPage> {
    yield await Promise.resolve({ users: [...this.files.values()], skipped: [] });
  }

  usernames(): Promise<Set<string>> {
    return Promise.resolve(new Set(this.files.keys()));
  }
}

function unavailable(): Error {
  return Object.assign(new Error('Request failed with status code 503'), {
    status: 503,
    response: { status: 503, headers: new Headers(), data: undefined },
  });
}

/** Every outbox a test made, stopped after it so no retry timer outlives the test. */
const made: DriveOutbox[] = [];
afterEach(() => {
  for (const outbox of made.splice(0)) outbox.stop();
});

function setup(concurrency = 4) {
  const store = new MemoryStore();
  const clock = new FakeClock();
  const events: string[] = [];
  const reporter: OutboxReporter = {
    failing: (f, pending) => events.push(`failing ${f.status} ${pending}`),
    stillFailing: (f, pending) => events.push(`still ${f.status} ${pending}`),
    recovered: (pending) => events.push(`recovered ${pending}`),
    replaced: (u) => events.push(`replaced ${u.username}`),
    leftAlone: (u, { file, why }) => events.push(`left ${file} of ${u.username} alone: ${why}`),
  };
  const health = new DriveHealth();
  const delays: number[] = [];
  const policy = new RetryPolicy(2, 8, () => 1);
  const spy = jest.spyOn(policy, 'delayMs');
  const outbox = new DriveOutbox(store, policy, clock, reporter, health, concurrency);
  made.push(outbox);
  spy.mockImplementation((n, f, now) => {
    const d = RetryPolicy.prototype.delayMs.call(policy, n, f, now);
    delays.push(d);
    return d;
  });
  return { store, clock, events, health, outbox, delays };
}

describe('DriveOutbox', () => {
  it('writes every user it is given once, and says when Drive last took one', async () => {
    const { store, outbox, health } = setup();
    outbox.start();
    for (let i = 0; i < 10; i++) outbox.add(user(`u${i}`, i));
    await outbox.drained();
    expect([...store.files.keys()].sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `u${i}`).sort(),
    );
    expect(store.puts).toHaveLength(10);
    expect(outbox.pending).toBe(0);
    expect(health.lastSuccessAt).toBe('2026-01-01T00:00:00.000Z');
    expect(health.lastError).toBeNull();
    expect(health.failures).toBe(0);
  });

  it('keeps everything through an outage and writes it all once Drive is back', async () => {
    const { store, outbox, events, health, delays } = setup();
    store.failWith = unavailable();
    outbox.start();
    for (let i = 0; i < 6; i++) outbox.add(user(`u${i}`, i));
    await waitFor('several failed rounds', () => delays.length >= 4);
    expect(outbox.pending).toBe(6);
    expect(store.files.size).toBe(0);
    expect(health.lastError).toBe('Drive answered 503: Request failed with status code 503');
    // Each failed call counts (for rollcall_drive_errors_total), at least one per round.
    expect(health.failures).toBeGreaterThanOrEqual(4);
    // Backoff grows per round of failures, not per write that failed in the round.
    expect(delays.slice(0, 4)).toEqual([2, 4, 8, 8]);
    store.failWith = null;
    await outbox.drained();
    expect(store.files.size).toBe(6);
    // Said once when it began and once when it ended, not once per retry.
    expect(events).toEqual(['failing 503 6', 'recovered 5']);
  });

  it('reports a long outage once a minute', async () => {
    const { store, outbox, events, clock, delays } = setup(1);
    store.failWith = unavailable();
    outbox.start();
    outbox.add(user('a'));
    await waitFor('first failure', () => delays.length >= 1);
    await waitFor('more failures', () => delays.length >= 5);
    expect(events).toEqual(['failing 503 1']);
    clock.advance(60_000);
    const seen = delays.length;
    await waitFor('a failure past the minute', () => delays.length >= seen + 3);
    expect(events).toEqual(['failing 503 1', 'still 503 1']);
  });

  it('lets a user added again while its write is in flight be written again', async () => {
    const { store, outbox } = setup();
    store.hold = true;
    outbox.start();
    outbox.add(user('a', 1));
    await waitFor('write in flight', () => store.puts.length === 1);
    outbox.add(user('a', 2));
    store.release();
    await outbox.drained();
    expect(store.files.get('a')).toEqual(user('a', 2));
    expect(store.puts).toEqual(['a', 'a']);
  });

  it('gives up a write for good when an unreadable file holds the name, and says so once', async () => {
    const { store, outbox, events, health, delays } = setup();
    store.unreadable.set('mallory', 'not valid JSON');
    outbox.start();
    outbox.add(user('mallory'));
    outbox.add(user('bob'));
    await outbox.drained();
    expect(outbox.pending).toBe(0);
    expect(store.puts).toEqual(['mallory', 'bob']);
    expect([...store.files.keys()]).toEqual(['bob']);
    expect(events).toEqual(['left mallory.json of mallory alone: not valid JSON']);
    // Not a failure: no backoff, no error shown in GET /.
    expect(delays).toEqual([]);
    expect(health.lastError).toBeNull();
  });

  it('forgets its queue when it stops, since the next leader rebuilds it from the log', async () => {
    const { store, outbox } = setup();
    store.failWith = unavailable();
    outbox.start();
    outbox.add(user('a'));
    outbox.add(user('b'));
    await waitFor('a failure', () => store.puts.length >= 2);
    outbox.stop();
    expect(outbox.pending).toBe(0);
    const puts = store.puts.length;
    store.failWith = null;
    outbox.add(user('c'));
    // Stopped: nothing is written until it starts again.
    expect(store.puts.length).toBe(puts);
    outbox.start();
    await outbox.drained();
    expect([...store.files.keys()]).toEqual(['c']);
  });
});
