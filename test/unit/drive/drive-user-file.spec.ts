import { parseUserFile, userFileContent, userFileName } from '../../../src/drive/drive-user-file';

const alice = {
  user_id: '6f1c0f5e-8a4b-4c61-9d0e-1b2c3d4e5f60',
  username: 'alice',
  addr: '127.0.0.1:9001',
  registered_at: '2026-11-26T10:00:00.000Z',
};

describe('user files', () => {
  it('round-trips a user through its file, keeping only the four fields', () => {
    expect(userFileName('alice')).toBe('alice.json');
    const content = userFileContent({ ...alice, extra: 1 } as typeof alice);
    expect(JSON.parse(content)).toEqual(alice);
    expect(parseUserFile('alice.json', content)).toEqual(alice);
    expect(parseUserFile('alice.json', JSON.stringify({ ...alice, note: 'x' }))).toEqual(alice);
  });

  it.each([
    ['notes.txt', JSON.stringify(alice), 'name does not end in .json'],
    ['alice.json', '{not json', 'not valid JSON'],
    ['alice.json', JSON.stringify({ username: 'alice' }), 'not a user'],
    ['bob.json', JSON.stringify(alice), "username 'alice' does not match the file name"],
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
    ['alice.json', JSON.stringify({ ...alice, registered_at: 'x' }), 'registered_at is not a date'],
  ])('skips %s holding %s, saying why', (name, content, why) => {
    const parsed = parseUserFile(name, content);
    expect('why' in parsed && parsed.why).toContain(why);
  });
});
