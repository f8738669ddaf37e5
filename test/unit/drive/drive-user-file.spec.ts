import { userIdOfDriveFile, uuidV5 } from '../../../src/clients/user-id';
import {
  type DriveFileFacts,
  parseUserFile,
  settleExisting,
  userFileContent,
  userFileName,
  usernameOfFile,
} from '../../../src/drive/drive-user-file';

const alice = {
  user_id: '6f1c0f5e-8a4b-4c61-9d0e-1b2c3d4e5f60',
  username: 'alice',
  addr: '127.0.0.1:9001',
  registered_at: '2026-11-26T10:00:00.000Z',
};
const CREATED = '2025-02-03T04:05:06.789Z';
const file = (name: string, id = '1AbCdEfGh'): DriveFileFacts => ({
  id,
  name,
  createdTime: CREATED,
});

describe('user files', () => {
  it('round-trips a user through its file, keeping only the four fields', () => {
    expect(userFileName('alice')).toBe('alice.json');
    const content = userFileContent({ ...alice, extra: 1 } as typeof alice);
    expect(JSON.parse(content)).toEqual(alice);
    expect(parseUserFile(file('alice.json'), content)).toEqual(alice);
    expect(parseUserFile(file('alice.json'), JSON.stringify({ ...alice, note: 'x' }))).toEqual(
      alice,
    );
  });

  it("reads the seed's two fields, deriving user_id from the file id and registered_at from createdTime", () => {
    const seed = JSON.stringify({ username: 'alice', addr: '127.0.0.1:9001', online: true });
    const read = parseUserFile(file('alice.json', 'file-1'), seed);
    expect(read).toEqual({
      user_id: userIdOfDriveFile('file-1'),
      username: 'alice',
      addr: '127.0.0.1:9001',
      registered_at: CREATED,
    });
    expect(parseUserFile(file('alice.json', 'file-1'), seed)).toEqual(read);
    expect(userIdOfDriveFile('file-2')).not.toBe(userIdOfDriveFile('file-1'));
    // One missing field is derived, one present is kept.
    const withTime = JSON.stringify({
      username: 'alice',
      addr: '127.0.0.1:9001',
      registered_at: alice.registered_at,
    });
    expect(parseUserFile(file('alice.json', 'file-1'), withTime)).toMatchObject({
      user_id: userIdOfDriveFile('file-1'),
      registered_at: alice.registered_at,
    });
  });

  it('derives ids as RFC 9562 UUID v5', () => {
    // RFC 9562 appendix A.4: "www.example.com" in the DNS name space.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
    expect(userIdOfDriveFile('1x2Yz')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it.each([
    ['notes.txt', JSON.stringify(alice), 'name does not end in .json'],
    ['alice.json', '{not json', 'not valid JSON'],
    ['alice.json', '["alice"]', 'not a JSON object'],
    ['alice.json', JSON.stringify({ addr: alice.addr }), 'no username'],
    ['alice.json', JSON.stringify({ username: 'alice' }), 'no addr'],
    ['bob.json', JSON.stringify(alice), "username 'alice' does not match the file name"],
    ['bob.json', JSON.stringify({ ...alice, username: 7 }), "username '7' does not match"],
    [
      'al ice.json',
      JSON.stringify({ ...alice, username: 'al ice' }),
      "username 'al ice': username may only contain",
    ],
    [
      'alice.json',
      JSON.stringify({ ...alice, addr: 'nowhere' }),
      "addr 'nowhere' is not host:port",
    ],
    ['alice.json', JSON.stringify({ ...alice, user_id: '' }), "user_id '' is not a non-empty"],
    ['alice.json', JSON.stringify({ ...alice, user_id: 5 }), "user_id '5' is not a non-empty"],
    [
      'alice.json',
      JSON.stringify({ ...alice, registered_at: 'x' }),
      "registered_at 'x' is not a date",
    ],
    [
      'alice.json',
      JSON.stringify({ ...alice, addr: 'x'.repeat(500) }),
      `addr '${'x'.repeat(64)}…' is`,
    ],
  ])('skips %s holding %s, saying why', (name, content, why) => {
    const parsed = parseUserFile(file(name), content);
    expect('why' in parsed && parsed.why).toContain(why);
  });

  it('needs a time for a file that does not say when it was made', () => {
    const seed = JSON.stringify({ username: 'alice', addr: alice.addr });
    expect(parseUserFile({ id: 'f', name: 'alice.json' }, seed)).toEqual({
      why: 'no registered_at, and Drive gave no createdTime',
    });
  });

  it('knows which name a file holds, whatever is in it', () => {
    expect(usernameOfFile('mallory.json')).toBe('mallory');
    expect(usernameOfFile('readme.txt')).toBeNull();
    expect(usernameOfFile('two words.json')).toBeNull();
    expect(usernameOfFile('.json')).toBeNull();
  });

  it('writes over a readable file of another user, never over one it cannot read', () => {
    const readable = { file: file('alice.json', 'a'), read: { ...alice, addr: '10.0.0.1:1' } };
    const unreadable = { file: file('alice.json', 'b'), read: { why: 'not valid JSON' } };
    const same = { file: file('alice.json', 'c'), read: alice };
    expect(settleExisting(alice, [readable])).toEqual({ kind: 'replace', fileId: 'a' });
    expect(settleExisting(alice, [readable, unreadable])).toEqual({
      kind: 'left-alone',
      file: 'alice.json',
      why: 'not valid JSON',
    });
    expect(settleExisting(alice, [unreadable, same])).toBe('already-there');
    // Another time or shape of the same user is still the same user.
    const later = { file: file('alice.json', 'd'), read: { ...alice, registered_at: CREATED } };
    expect(settleExisting(alice, [later])).toBe('already-there');
  });
});
