import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DriveStatusDto } from '../../src/drive/drive-status.dto';
import { userFileContent } from '../../src/drive/drive-user-file';
import type { RegisteredUser } from '../../src/storage/registered-user';
import { TestCluster } from '../support/cluster';
import { DriveEmulator, type ServiceAccount } from '../support/drive-emulator';
import { freePorts } from '../support/free-port';
import { NodeProcess, writeClusterConfig } from '../support/node-process';
import { waitFor } from '../support/poll';
import { makeTempDir } from '../support/temp-dir';

const DRIVE = 'team-drive';
const FOLDER = 'registered-users-folder';

const seeded = (i: number): RegisteredUser => ({
  user_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  username: `old-${i}`,
  addr: `127.0.0.1:${10000 + i}`,
  registered_at: '2025-06-01T12:00:00.000Z',
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function post(url: string, path: string, body: unknown): Promise<number> {
  try {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Real node processes writing to the Drive v3 emulator over HTTP. */
describe('Google Drive persistence', () => {
  let emulator: DriveEmulator;
  let account: ServiceAccount;
  let cluster: TestCluster | null = null;
  const tmp = makeTempDir('rollcall-drive-');

  beforeEach(async () => {
    emulator = await DriveEmulator.start({ maxPageSize: 100 });
    account = emulator.addServiceAccount();
    emulator.addSharedDrive(DRIVE);
    emulator.addFolder(DRIVE, FOLDER);
  });

  afterEach(async () => {
    await cluster?.stop();
    cluster = null;
    await emulator.close();
  });

  afterAll(() => tmp.cleanup());

  function driveEnv(): Record<string, string> {
    return {
      SHARED_DRIVE_ID: DRIVE,
      REGISTERED_USERS_FOLDER_ID: FOLDER,
      GOOGLE_CREDENTIALS: emulator.writeCredentialsFile(account, tmp.dir),
      GOOGLE_API_ROOT_URL: emulator.rootUrl,
      GOOGLE_TOKEN_URL: emulator.tokenUrl,
    };
  }

  async function startCluster(): Promise<TestCluster> {
    cluster = await new TestCluster({
      size: 3,
      env: driveEnv(),
      extra: 'drive_retry_base_ms = 20\ndrive_retry_max_ms = 200',
    }).start();
    return cluster;
  }

  async function driveStatus(c: TestCluster, i: number): Promise<DriveStatusDto | undefined> {
    return (await c.health(i))?.drive;
  }

  const register = (c: TestCluster, i: number, username: string) =>
    post(c.url(i), '/register', { username, addr: '127.0.0.1:7000' });

  async function registerAnswer(
    c: TestCluster,
    i: number,
    username: string,
  ): Promise<{ status: number; message: string }> {
    const res = await fetch(`${c.url(i)}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, addr: '127.0.0.1:7000' }),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, message: ((await res.json()) as { message: string }).message };
  }

  function filesIn(): Map<string, string[]> {
    const byName = new Map<string, string[]>();
    for (const f of emulator.filesIn(FOLDER)) {
      byName.set(f.name, [...(byName.get(f.name) ?? []), f.content]);
    }
    return byName;
  }

  it('imports an existing folder over several pages, skipping files that are not users', async () => {
    for (let i = 0; i < 250; i++) {
      emulator.putFile(FOLDER, `old-${i}.json`, userFileContent(seeded(i)));
    }
    emulator.putFile(FOLDER, 'notes.json', '{"hello": "world"}');
    const c = await startCluster();
    const leader = await c.waitForLeader();
    await waitFor('the import on every node', async () => {
      const counts = await Promise.all([0, 1, 2].map((i) => c.health(i)));
      return counts.every((h) => h?.registered_count === 250);
    });
    const res = await fetch(`${c.url(leader)}/users`);
    const { users } = (await res.json()) as { users: RegisteredUser[] };
    expect(users.find((u) => u.username === 'old-42')).toEqual(seeded(42));
    expect(c.node(leader).lines.some((l) => l.includes("skipped 'notes.json'"))).toBe(true);
    // Imported names are taken; a new one is written through as usual.
    await waitFor('registrations open', async () => (await register(c, leader, 'x')) === 200);
    expect(await register(c, leader, 'old-7')).toBe(409);
    await waitFor('x.json written', () => filesIn().has('x.json'));
    // The folder was read with the shared-drive flags, page after page.
    const pages = emulator.requests.filter(
      (r) => r.path === '/drive/v3/files' && r.query.q?.includes('in parents'),
    );
    expect(pages.some((r) => r.query.pageToken !== undefined)).toBe(true);
    expect(filesIn().size).toBe(252);
  });

  it("imports the seed's two-field files with stable ids and createdTime, and leaves them as they are", async () => {
    const created = (i: number) => new Date(Date.UTC(2024, 5, 1, 8, 0, i)).toISOString();
    for (let i = 0; i < 120; i++) {
      const content = JSON.stringify({ username: `peer-${i}`, addr: `10.1.0.${i}:9000` });
      emulator.putFile(FOLDER, `peer-${i}.json`, content, { createdTime: created(i) });
    }
    const folderBefore = emulator.filesIn(FOLDER);
    // Each cluster registers one name of its own, so the second one also reads the first's file.
    const importOnce = async (fresh: string, count: number): Promise<RegisteredUser[]> => {
      const c = await startCluster();
      const leader = await c.waitForLeader();
      await waitFor('registrations open', async () => (await register(c, leader, fresh)) === 200);
      await waitFor('the import on every node', async () => {
        const hs = await Promise.all([0, 1, 2].map((i) => c.health(i)));
        return hs.every((h) => h?.registered_count === count);
      });
      expect(await register(c, leader, 'peer-7')).toBe(409);
      await waitFor(`${fresh}.json written`, () => filesIn().has(`${fresh}.json`));
      const res = await fetch(`${c.url(leader)}/users`);
      const { users } = (await res.json()) as { users: RegisteredUser[] };
      await c.stop();
      cluster = null;
      return users.filter((u) => u.username.startsWith('peer-'));
    };
    const first = await importOnce('new-1', 121);
    expect(first).toHaveLength(120);
    for (let i = 0; i < 120; i++) {
      const u = first.find((x) => x.username === `peer-${i}`);
      expect(u).toEqual({
        user_id: expect.stringMatching(UUID) as string,
        username: `peer-${i}`,
        addr: `10.1.0.${i}:9000`,
        registered_at: created(i),
      });
    }
    expect(new Set(first.map((u) => u.user_id)).size).toBe(120);
    // A second cluster, with empty data directories, reads the same folder into the same ids.
    const second = await importOnce('new-2', 122);
    expect(second).toEqual(first);
    // The seed's files were complete enough to import: rollcall left every one as it was.
    const seedFiles = emulator.filesIn(FOLDER).filter((f) => f.name.startsWith('peer-'));
    expect(seedFiles).toEqual(folderBefore);
  });

  it('keeps a name held by an unreadable file taken on every leader, and never touches the file', async () => {
    const damaged = '{"username": "mallory", "addr": "10.0.0.9:7'; // cut short by hand
    const id = emulator.putFile(FOLDER, 'mallory.json', damaged);
    emulator.putFile(
      FOLDER,
      'trent.json',
      JSON.stringify({ username: 'trudy', addr: '1.2.3.4:5' }),
    );
    const before = emulator.filesIn(FOLDER);
    const c = await startCluster();
    const old = await c.waitForLeader();
    await waitFor('registrations open', async () => (await register(c, old, 'x')) === 200);
    const mallory =
      "Username 'mallory' is held by mallory.json in the Drive folder, which is not a valid user file: not valid JSON";
    expect(await registerAnswer(c, old, 'mallory')).toEqual({ status: 409, message: mallory });
    expect(await registerAnswer(c, old, 'trent')).toEqual({
      status: 409,
      message:
        "Username 'trent' is held by trent.json in the Drive folder, which is not a valid user file: username 'trudy' does not match the file name",
    });
    // The name is held in the log, so the next leader refuses it too.
    await c.node(old).kill();
    c.nodes[old] = null;
    const leader = await c.waitForLeader([0, 1, 2].filter((i) => i !== old));
    await waitFor('the new leader answers', async () => (await register(c, leader, 'y')) === 200);
    expect(await registerAnswer(c, leader, 'mallory')).toEqual({ status: 409, message: mallory });
    await waitFor('y.json written', () => filesIn().has('y.json'));
    const untouched = emulator
      .filesIn(FOLDER)
      .filter((f) => f.name !== 'x.json' && f.name !== 'y.json');
    expect(untouched).toEqual(before);
    const writes = emulator.requests.filter((r) => r.method !== 'GET' && r.path.includes(id));
    expect(writes).toEqual([]);
  });

  it('never overwrites an unreadable file that appears after the import; the registration stands', async () => {
    const c = await startCluster();
    const leader = await c.waitForLeader();
    await waitFor('registrations open', async () => (await register(c, leader, 'x')) === 200);
    const damaged = 'mallory, 10.0.0.9:7000\n'; // someone's notes, not JSON
    emulator.putFile(FOLDER, 'mallory.json', damaged);
    const before = emulator.filesIn(FOLDER).find((f) => f.name === 'mallory.json');
    // The registry is the truth: the name was free in the log, so it is registered.
    expect(await register(c, leader, 'mallory')).toBe(200);
    // The registration is queued before it is answered: an empty queue means the write is over.
    await waitFor(
      'an empty queue',
      async () => (await driveStatus(c, leader))?.pending_writes === 0,
    );
    expect(emulator.requests.some((r) => r.query.q?.includes("'mallory.json'"))).toBe(true);
    expect(emulator.filesIn(FOLDER).filter((f) => f.name === 'mallory.json')).toEqual([before]);
    await waitFor('the warning naming the file', () =>
      c.node(leader).lines.some((l) => l.includes('mallory.json') && l.includes('not valid JSON')),
    );
    // Logged once, not retried: the queue gave the write up for good.
    const tried = emulator.requests.length;
    expect(await register(c, leader, 'z')).toBe(200);
    await waitFor('z.json written', () => filesIn().has('z.json'));
    expect(emulator.requests.slice(tried).some((r) => r.query.q?.includes('mallory'))).toBe(false);
    expect(c.node(leader).lines.filter((l) => l.includes('mallory.json'))).toHaveLength(1);
  });

  it('opens registrations only once the folder has been read', async () => {
    emulator.putFile(FOLDER, 'old-1.json', userFileContent(seeded(1)));
    emulator.outage(true);
    const c = await startCluster();
    const leader = await c.waitForLeader();
    const refused = await fetch(`${c.url(leader)}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'old-1', addr: '127.0.0.1:7000' }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { message: string }).message).toMatch(
      /still being imported from Google Drive/,
    );
    await waitFor('the failure in GET /', async () =>
      (await driveStatus(c, leader))?.last_error?.includes('503'),
    );
    emulator.outage(false);
    // The name the folder already held is not handed out again.
    await waitFor('registrations open', async () => (await register(c, leader, 'new')) === 200);
    expect(await register(c, leader, 'old-1')).toBe(409);
  });

  it('writes each registration through once, whatever faults Drive throws', async () => {
    const c = await startCluster();
    const leader = await c.waitForLeader();
    await waitFor('registrations open', async () => (await register(c, leader, 'u0')) === 200);
    emulator.failNext(3, { status: 503 });
    emulator.failNext(2, { status: 500 });
    emulator.failNext(2, { status: 429, retryAfterSeconds: 1 });
    emulator.dropResponseOfNext(4, 'POST');
    for (let i = 1; i < 30; i++) expect(await register(c, leader, `u${i}`)).toBe(200);
    await waitFor('30 user files', () => filesIn().size === 30);
    await waitFor(
      'an empty queue',
      async () => (await driveStatus(c, leader))?.pending_writes === 0,
    );
    for (const [name, contents] of filesIn()) {
      expect(contents).toHaveLength(1);
      const user = JSON.parse(contents[0]) as RegisteredUser;
      expect(`${user.username}.json`).toBe(name);
      expect(Object.keys(user).sort()).toEqual(['addr', 'registered_at', 'user_id', 'username']);
    }
    const status = await driveStatus(c, leader);
    expect(status?.enabled).toBe(true);
    expect(status?.last_success_at).not.toBeNull();
  });

  it('goes on registering through an outage, keeps the backlog, and catches up', async () => {
    const c = await startCluster();
    const leader = await c.waitForLeader();
    await waitFor('registrations open', async () => (await register(c, leader, 'first')) === 200);
    await waitFor('first.json written', () => filesIn().has('first.json'));
    emulator.outage(true, 'reset');
    for (let i = 0; i < 20; i++) expect(await register(c, leader, `during-${i}`)).toBe(200);
    const status = await waitFor('the backlog in GET /', async () => {
      const s = await driveStatus(c, leader);
      return s?.pending_writes === 20 ? s : undefined;
    });
    expect(status.last_error).toMatch(/no answer from Drive/);
    // Many retries, one warning: the log is not flooded while the outage lasts.
    const tried = emulator.requests.length;
    await waitFor('several retries', () => emulator.requests.length >= tried + 5);
    const warnings = c.node(leader).lines.filter((l) => l.includes('Drive write failed'));
    expect(warnings).toHaveLength(1);
    emulator.outage(false);
    await waitFor('every user in the folder', () => filesIn().size === 21);
    await waitFor(
      'an empty queue',
      async () => (await driveStatus(c, leader))?.pending_writes === 0,
    );
    expect([...filesIn().values()].every((v) => v.length === 1)).toBe(true);
    expect(c.node(leader).lines.some((l) => l.includes('Drive writes succeed again'))).toBe(true);
  });

  it('finishes a killed leader’s backlog on the new leader', async () => {
    const c = await startCluster();
    const old = await c.waitForLeader();
    await waitFor('registrations open', async () => (await register(c, old, 'a0')) === 200);
    await waitFor('a0.json written', () => filesIn().has('a0.json'));
    emulator.outage(true);
    for (let i = 1; i < 15; i++) expect(await register(c, old, `a${i}`)).toBe(200);
    await waitFor('a backlog', async () => (await driveStatus(c, old))?.pending_writes === 14);
    await c.node(old).kill();
    c.nodes[old] = null;
    const survivors = [0, 1, 2].filter((i) => i !== old);
    const leader = await c.waitForLeader(survivors);
    emulator.outage(false);
    await waitFor('every user in the folder', () => filesIn().size === 15);
    expect([...filesIn().values()].every((v) => v.length === 1)).toBe(true);
    expect(c.node(leader).lines.some((l) => l.includes('reconciled with Drive'))).toBe(true);
  });

  it('refuses to start with Drive on and no readable credentials, exit code 2', async () => {
    const [apiPort, electionPort] = await freePorts(2);
    const dir = makeTempDir('rollcall-drive-creds-');
    try {
      const config = writeClusterConfig(dir.dir, { peers: [`127.0.0.1:${electionPort}`] });
      const notJson = join(dir.dir, 'key.json');
      writeFileSync(notJson, 'not json');
      for (const [path, why] of [
        [join(dir.dir, 'missing.json'), 'file not found'],
        [notJson, 'not valid JSON'],
      ]) {
        const node = new NodeProcess({
          config,
          apiPort,
          dataDir: join(dir.dir, 'data'),
          env: { ...driveEnv(), GOOGLE_CREDENTIALS: path },
        });
        expect(await node.exited).toEqual({ code: 2, signal: null });
        expect(node.lines).toEqual([`rollcall: config error: GOOGLE_CREDENTIALS: ${path}: ${why}`]);
      }
    } finally {
      dir.cleanup();
    }
  });
});
