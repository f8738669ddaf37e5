import { RegistryStateMachine } from '../../../src/clients/registry-state-machine';
import type { RegisteredUser } from '../../../src/storage/registered-user';

const user = (username: string, n = 1): RegisteredUser => ({
  user_id: `00000000-0000-4000-8000-00000000000${n}`,
  username,
  addr: `10.0.0.${n}:9000`,
  registered_at: '2026-01-01T00:00:00.000Z',
});
const register = (u: RegisteredUser) => ({ op: 'register', user: u });

describe('RegistryStateMachine', () => {
  it('registers in log order and refuses a name an earlier entry took', () => {
    const sm = new RegistryStateMachine();
    expect(sm.apply(1, null)).toEqual({ kind: 'noop' }); // a new leader's no-op
    expect(sm.apply(2, register(user('alice', 1)))).toEqual({
      kind: 'registered',
      user: user('alice', 1),
    });
    // Proposed by another leader before it learnt of entry 2: the later one loses.
    expect(sm.apply(3, register(user('alice', 2)))).toEqual({ kind: 'taken', username: 'alice' });
    expect(sm.all()).toEqual([user('alice', 1)]);
    expect(sm.appliedIndex).toBe(3);
  });

  it('gives every replica the same users for the same entries', () => {
    const entries = [register(user('a', 1)), null, register(user('b', 2)), register(user('a', 3))];
    const replicas = [new RegistryStateMachine(), new RegistryStateMachine()];
    for (const sm of replicas) entries.forEach((e, i) => sm.apply(i + 1, e));
    expect(replicas[0].all()).toEqual(replicas[1].all());
  });

  it('refuses to apply out of order', () => {
    const sm = new RegistryStateMachine();
    sm.apply(1, null);
    expect(() => sm.apply(3, null)).toThrow('entry 3 applied after 1');
  });

  it('restores from a snapshot and goes on from its index', () => {
    const sm = new RegistryStateMachine();
    sm.apply(1, register(user('a', 1)));
    const copy = new RegistryStateMachine();
    copy.restore(1, sm.snapshot());
    expect(copy.apply(2, register(user('a', 2)))).toEqual({ kind: 'taken', username: 'a' });
    expect(copy.apply(3, register(user('b', 3))).kind).toBe('registered');
    expect(copy.count).toBe(2);
  });

  it('imports users from Drive, skipping names already taken, and remembers the import', () => {
    const sm = new RegistryStateMachine();
    sm.apply(1, register(user('alice', 1)));
    expect(sm.driveImported).toBe(false);
    expect(sm.apply(2, { op: 'import', users: [user('alice', 2), user('bob', 3)] })).toEqual({
      kind: 'imported',
      added: [user('bob', 3)],
      skipped: ['alice'],
    });
    expect(sm.find('alice')).toEqual(user('alice', 1));
    expect(sm.apply(3, { op: 'drive-imported' })).toEqual({ kind: 'noop' });
    expect(sm.driveImported).toBe(true);
    // The marker travels in snapshots, so a node restored from one does not import again.
    const copy = new RegistryStateMachine();
    copy.restore(3, sm.snapshot());
    expect(copy.driveImported).toBe(true);
    expect(copy.count).toBe(2);
    const old = new RegistryStateMachine();
    old.restore(3, { users: [user('carol', 4)] });
    expect(old.driveImported).toBe(false);
  });

  it('keeps each token hash with its user, through snapshots, and never in the user', () => {
    const sm = new RegistryStateMachine();
    sm.apply(1, { op: 'register', user: user('a', 1), token_sha256: 'ab'.repeat(32) });
    sm.apply(2, register(user('b', 2)));
    expect(sm.tokenHash('a')).toBe('ab'.repeat(32));
    expect(sm.tokenHash('b')).toBeUndefined();
    expect(sm.find('a')).toEqual(user('a', 1));
    // A later registration of the name does not replace the first one's token.
    sm.apply(3, { op: 'register', user: user('a', 3), token_sha256: 'cd'.repeat(32) });
    expect(sm.tokenHash('a')).toBe('ab'.repeat(32));
    const copy = new RegistryStateMachine();
    copy.restore(3, sm.snapshot());
    expect(copy.tokenHash('a')).toBe('ab'.repeat(32));
    expect(copy.tokenHash('b')).toBeUndefined();
  });

  it('keeps a name held by an unreadable Drive file taken, on every replica and through snapshots', () => {
    const held = { username: 'mallory', file: 'mallory.json', why: 'not valid JSON' };
    const sm = new RegistryStateMachine();
    expect(sm.apply(1, { op: 'import', users: [user('bob', 1)], reserved: [held] })).toEqual({
      kind: 'imported',
      added: [user('bob', 1)],
      skipped: [],
    });
    expect(sm.apply(2, register(user('mallory', 2)))).toEqual({
      kind: 'taken',
      username: 'mallory',
    });
    // Held, not registered: nobody is listed under the name.
    expect(sm.all()).toEqual([user('bob', 1)]);
    const copy = new RegistryStateMachine();
    copy.restore(2, sm.snapshot());
    expect(copy.apply(3, register(user('mallory', 3)))).toEqual({
      kind: 'taken',
      username: 'mallory',
    });
    expect(copy.apply(4, register(user('carol', 4))).kind).toBe('registered');
  });

  it('lets a readable file win over an unreadable one of the same name, in either order', () => {
    const held = { username: 'bob', file: 'bob.json', why: 'not valid JSON' };
    const first = new RegistryStateMachine();
    first.apply(1, { op: 'import', users: [], reserved: [held] });
    expect(first.reservation('bob')).toEqual(held);
    first.apply(2, { op: 'import', users: [user('bob', 1)] });
    const second = new RegistryStateMachine();
    second.apply(1, { op: 'import', users: [user('bob', 1)], reserved: [held] });
    for (const sm of [first, second]) {
      expect(sm.find('bob')).toEqual(user('bob', 1));
      expect(sm.reservation('bob')).toBeUndefined();
    }
  });

  it('reads a snapshot from before reservations as holding none', () => {
    const old = new RegistryStateMachine();
    old.restore(5, { users: [user('a', 1)], drive_imported: true, token_hashes: {} });
    expect(old.reservation('a')).toBeUndefined();
    expect(old.apply(6, register(user('mallory', 2))).kind).toBe('registered');
  });

  it('treats an import with a malformed reservation as a no-op', () => {
    const sm = new RegistryStateMachine();
    const bad = { op: 'import', users: [user('a', 1)], reserved: [{ username: 'm' }] };
    expect(sm.apply(1, bad)).toEqual({ kind: 'noop' });
    expect(sm.count).toBe(0);
  });

  it('treats an import holding anything but users as a no-op', () => {
    const sm = new RegistryStateMachine();
    expect(sm.apply(1, { op: 'import', users: [user('a', 1), { username: 'b' }] })).toEqual({
      kind: 'noop',
    });
    expect(sm.count).toBe(0);
  });

  it('treats a malformed command as a no-op rather than crash every replica', () => {
    const sm = new RegistryStateMachine();
    expect(sm.apply(1, { op: 'register', user: { username: 7 } })).toEqual({ kind: 'noop' });
    expect(sm.count).toBe(0);
  });
});
