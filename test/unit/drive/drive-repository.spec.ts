import { AccessTokenSource, TokenRequestError } from '../../../src/drive/access-token-source';
import { describeDriveFailure } from '../../../src/drive/drive-failure';
import { DriveRepository } from '../../../src/drive/drive-repository';
import { userFileContent } from '../../../src/drive/drive-user-file';
import type { RegisteredUser } from '../../../src/storage/registered-user';
import type { UserPage } from '../../../src/storage/user-store';
import { SystemClock } from '../../../src/common/clock';
import { DriveEmulator, type ServiceAccount } from '../../support/drive-emulator';

const DRIVE = 'shared-drive-1';
const FOLDER = 'registered-users';

const user = (username: string, n = 1): RegisteredUser => ({
  user_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  username,
  addr: `127.0.0.1:${9000 + (n % 1000)}`,
  registered_at: '2026-11-26T10:00:00.000Z',
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function collect(pages: AsyncGenerator<UserPage>): Promise<UserPage[]> {
  const out: UserPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

/** The repository over real HTTP, against the Drive v3 emulator. */
describe('DriveRepository', () => {
  let emulator: DriveEmulator;
  let account: ServiceAccount;
  let repo: DriveRepository;
  let otherRepo: () => DriveRepository;

  beforeEach(async () => {
    emulator = await DriveEmulator.start({ maxPageSize: 100 });
    account = emulator.addServiceAccount();
    emulator.addSharedDrive(DRIVE);
    emulator.addFolder(DRIVE, FOLDER);
    const tokens = new AccessTokenSource(
      { clientEmail: account.clientEmail, privateKey: account.privateKeyPem },
      emulator.tokenUrl,
      new SystemClock(),
    );
    otherRepo = () =>
      new DriveRepository(
        { sharedDriveId: DRIVE, folderId: FOLDER, apiRootUrl: emulator.rootUrl },
        tokens,
      );
    repo = otherRepo();
  });

  afterEach(() => emulator.close());

  it('reads every user of a folder over several pages and names what it skips', async () => {
    for (let i = 0; i < 250; i++) {
      const u = user(`user${i}`, i);
      emulator.putFile(FOLDER, `${u.username}.json`, userFileContent(u));
    }
    emulator.putFile(FOLDER, 'broken.json', '{nope');
    emulator.putFile(FOLDER, 'readme.txt', 'hello', { mimeType: 'text/plain' });
    const pages = await collect(repo.readAll());
    expect(pages.length).toBe(3);
    const users = pages.flatMap((p) => p.users);
    expect(users).toHaveLength(250);
    expect(users.find((u) => u.username === 'user7')).toEqual(user('user7', 7));
    expect(pages.flatMap((p) => p.skipped)).toEqual([
      { name: 'broken.json', why: 'not valid JSON' },
      { name: 'readme.txt', why: 'name does not end in .json' },
    ]);
    expect((await repo.usernames()).size).toBe(251);
    // Every listing asked with the shared-drive flags, or the emulator would have hidden files.
    const lists = emulator.requests.filter((r) => r.path === '/drive/v3/files');
    expect(lists.length).toBeGreaterThanOrEqual(6);
    for (const r of lists) {
      expect(r.query).toMatchObject({
        driveId: DRIVE,
        corpora: 'drive',
        includeItemsFromAllDrives: 'true',
        supportsAllDrives: 'true',
      });
    }
  });

  it('writes a user once as <username>.json and knows it is there on a second put', async () => {
    expect(await repo.put(user('alice'))).toBe('created');
    expect(await repo.put(user('alice'))).toBe('already-there');
    const files = emulator.filesIn(FOLDER);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ name: 'alice.json', mimeType: 'application/json' });
    expect(JSON.parse(files[0].content)).toEqual(user('alice'));
    expect(await repo.usernames()).toEqual(new Set(['alice']));
  });

  it('replaces a stale file under the name with the committed user', async () => {
    emulator.putFile(FOLDER, 'bob.json', userFileContent(user('bob', 1)));
    expect(await repo.put(user('bob', 2))).toBe('replaced');
    expect(emulator.filesIn(FOLDER).map((f) => JSON.parse(f.content) as unknown)).toEqual([
      user('bob', 2),
    ]);
  });

  it("reads the seed's two-field files as users: user_id from the file id, registered_at from createdTime", async () => {
    const created = (i: number) => new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString();
    const ids = Array.from({ length: 120 }, (_, i) =>
      emulator.putFile(
        FOLDER,
        `seed-${i}.json`,
        JSON.stringify({ username: `seed-${i}`, addr: `10.0.0.${i}:7000`, note: 'extra' }),
        { createdTime: created(i) },
      ),
    );
    const first = (await collect(repo.readAll())).flatMap((p) => p.users);
    expect(first).toHaveLength(120);
    expect(first[5]).toMatchObject({
      username: 'seed-5',
      addr: '10.0.0.5:7000',
      registered_at: created(5),
    });
    expect(Object.keys(first[5]).sort()).toEqual(['addr', 'registered_at', 'user_id', 'username']);
    for (const u of first) expect(u.user_id).toMatch(UUID);
    expect(new Set(first.map((u) => u.user_id)).size).toBe(120);
    // Read again, by another repository (another node): the same ids, since the files are the same.
    const again = (await collect(otherRepo().readAll())).flatMap((p) => p.users);
    expect(again).toEqual(first);
    // The id follows the file, not the name: a file made anew under the name is another user.
    emulator.trashFile(ids[5]);
    emulator.putFile(
      FOLDER,
      'seed-5.json',
      JSON.stringify({ username: 'seed-5', addr: '1.2.3.4:5' }),
    );
    const remade = (await collect(repo.readAll())).flatMap((p) => p.users);
    const seed5 = remade.find((u) => u.username === 'seed-5');
    expect(seed5?.user_id).toMatch(UUID);
    expect(seed5?.user_id).not.toBe(first[5].user_id);
  });

  it('leaves a file it cannot read untouched, byte for byte, and says why', async () => {
    const damaged = '{"username": "mallory", "addr": "10.0.0.9:70'; // cut short by hand
    const id = emulator.putFile(FOLDER, 'mallory.json', damaged);
    const before = emulator.filesIn(FOLDER)[0];
    emulator.clearLog();
    expect(await repo.put(user('mallory'))).toEqual({
      kind: 'left-alone',
      file: 'mallory.json',
      why: 'not valid JSON',
    });
    expect(emulator.filesIn(FOLDER)).toEqual([before]);
    // Only reads reached the file API (the token grant is a POST of its own).
    const writes = emulator.requests.filter((r) => r.method !== 'GET' && r.path !== '/token');
    expect(writes).toEqual([]);
    expect(emulator.filesIn(FOLDER)[0].id).toBe(id);
  });

  it("takes a file of the same user in the seed's shape as already there, and does not rewrite it", async () => {
    const content = JSON.stringify({ username: 'sam', addr: '10.0.0.1:7000' });
    emulator.putFile(FOLDER, 'sam.json', content, { createdTime: '2025-01-01T00:00:00.000Z' });
    const [sam] = (await collect(repo.readAll())).flatMap((p) => p.users);
    expect(await repo.put(sam)).toBe('already-there');
    // Another user under the name (a different addr) is not this one: a readable file yields.
    expect(await repo.put({ ...sam, addr: '10.0.0.2:7000' })).toBe('replaced');
  });

  it('makes no second file when a create succeeded but its answer was lost', async () => {
    // The lookup is answered; the create (a POST) is carried out and its answer dropped.
    emulator.dropResponseOfNext(1, 'POST');
    await expect(repo.put(user('carol'))).rejects.toThrow();
    expect(await repo.put(user('carol'))).toBe('already-there');
    expect(emulator.countByName(FOLDER, 'carol.json')).toBe(1);
  });

  it('fetches a new token when Drive stops taking the old one', async () => {
    await repo.put(user('dave'));
    emulator.expireAllTokens();
    expect(await repo.put(user('erin'))).toBe('created');
    expect(emulator.filesIn(FOLDER).map((f) => f.name)).toEqual(['dave.json', 'erin.json']);
  });

  it('lets a rate limit through with its Retry-After for the outbox to honour', async () => {
    emulator.failNext(1, { status: 429, retryAfterSeconds: 2 });
    const err: unknown = await repo.put(user('frank')).catch((e: unknown) => e);
    expect(describeDriveFailure(err)).toMatchObject({
      status: 429,
      retryAfter: '2',
      transient: true,
    });
    emulator.outage(true, 'reset');
    const reset: unknown = await repo.usernames().catch((e: unknown) => e);
    expect(describeDriveFailure(reset)).toMatchObject({ status: null, transient: true });
  });

  it('reports a refused token grant as a failure to fix, not to retry soon', async () => {
    const stranger = new AccessTokenSource(
      { clientEmail: 'nobody@example.iam.gserviceaccount.com', privateKey: account.privateKeyPem },
      emulator.tokenUrl,
      new SystemClock(),
    );
    const err = await stranger.fetch().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenRequestError);
    expect((err as TokenRequestError).status).toBe(400);
    expect((err as Error).message).toContain('invalid_grant');
    expect(describeDriveFailure(err).transient).toBe(false);
  });
});
