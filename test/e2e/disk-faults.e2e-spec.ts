import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describeNeeding } from '../support/ci';
import { freePorts } from '../support/free-port';
import { NodeProcess, PACKAGE_ROOT, writeClusterConfig } from '../support/node-process';
import { waitFor } from '../support/poll';
import { makeTempDir } from '../support/temp-dir';

// A small filesystem of its own needs mount(8), so root; CI runs as root and must run this.
const describeIfRoot = describeNeeding(
  process.getuid?.() === 0,
  'mounting a small tmpfs needs root',
);

interface Answer {
  status: number;
  body: { message?: string; disk?: { problem: string | null; writable: boolean } };
}

async function call(url: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** Root ignores file permissions; the node runs as this user so that a chmod takes effect. */
const NOBODY = 65534;

/**
 * Lets other users enter (o+x, not list) every directory from `path` up that they cannot, until
 * the returned function puts the modes back. The node runs as nobody from this checkout's
 * dist/: a checkout in a private directory (`mktemp -d` makes one 0700) would hide it.
 */
function letOthersEnter(path: string): () => void {
  const changed: [string, number][] = [];
  for (let dir = path; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      changed.push([dir, mode]);
    }
    if (dirname(dir) === dir) break;
  }
  return () => changed.forEach(([dir, mode]) => chmodSync(dir, mode));
}

/**
 * A node whose data directory is a 4 MiB tmpfs the test fills and empties, and makes
 * unwritable and writable again.
 */
describeIfRoot('data directory full or read-only', () => {
  const tmp = makeTempDir('rollcall-disk-');
  const mountPoint = join(tmp.dir, 'data');
  let node: NodeProcess | null = null;
  let closeCheckout = () => {};

  beforeAll(() => {
    closeCheckout = letOthersEnter(PACKAGE_ROOT);
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
    chownSync(mountPoint, NOBODY, NOBODY);
    // The node, as nobody, must read its config here.
    chmodSync(tmp.dir, 0o755);
  });

  afterAll(async () => {
    await node?.kill();
    execFileSync('umount', ['-l', mountPoint]);
    tmp.cleanup();
    closeCheckout();
  });

  it('refuses registrations with a clear 503, serves the rest, and recovers by itself', async () => {
    const [apiPort, electionPort] = await freePorts(2);
    const config = writeClusterConfig(tmp.dir, {
      peers: [`127.0.0.1:${electionPort}`],
      extra: 'min_free_disk_mb = 1',
    });
    const asNobody = { config, apiPort, dataDir: mountPoint, uid: NOBODY };
    node = new NodeProcess(asNobody);
    await node.waitUntilServing();
    const url = node.url;
    await waitFor('leadership', async () => (await call(url, 'GET', '/users')).status === 200);
    const acknowledged: string[] = [];
    const register = async (username: string) => {
      const r = await call(url, 'POST', '/register', { username, addr: '127.0.0.1:9000' });
      if (r.status === 200) acknowledged.push(username);
      return r;
    };
    // Until the node's next look at the disk (twice a second) a registration still goes
    // through, so each try uses a new name.
    let tries = 0;
    const refused = (what: string) =>
      waitFor(what, async () => {
        const r = await register(`try-${tries++}`);
        return r.status === 503 ? r : undefined;
      });
    expect((await register('alice')).status).toBe(200);
    expect((await call(url, 'POST', '/heartbeat', { username: 'alice' })).status).toBe(200);

    // Full: leave less than min_free_disk_mb.
    const filler = join(mountPoint, 'filler');
    const free = statfsSync(mountPoint).bavail * statfsSync(mountPoint).bsize;
    writeFileSync(filler, Buffer.alloc(free - 512 * 1024));
    const full = await refused('a refused registration');
    expect(full.body.message).toMatch(/Registrations are paused: data directory .* is full/);
    expect((await call(url, 'POST', '/heartbeat', { username: 'alice' })).status).toBe(200);
    expect((await call(url, 'GET', '/users')).status).toBe(200);
    expect((await call(url, 'GET', '/discover')).status).toBe(200);
    expect((await call(url, 'GET', '/')).body.disk?.problem).toMatch(/is full/);

    rmSync(filler);
    await waitFor('registrations again', async () => (await register('bob')).status === 200);

    // Unwritable: nothing new can be made durable there.
    chmodSync(mountPoint, 0o555);
    try {
      const denied = await refused('a refused registration');
      expect(denied.body.message).toMatch(/is not writable \(EACCES\)/);
      expect((await call(url, 'POST', '/heartbeat', { username: 'bob' })).status).toBe(200);
      expect((await call(url, 'GET', '/')).body.disk?.writable).toBe(false);
    } finally {
      chmodSync(mountPoint, 0o755);
    }
    await waitFor('registrations again', async () => (await register('carol')).status === 200);

    // Nothing acknowledged was lost, and nothing refused was written.
    await node.kill();
    node = new NodeProcess(asNobody);
    await node.waitUntilServing();
    const users = await waitFor('the users after a restart', async () => {
      const r = await fetch(`${url}/users`);
      return r.status === 200 ? ((await r.json()) as { users: { username: string }[] }) : undefined;
    });
    expect(users.users.map((u) => u.username).sort()).toEqual(acknowledged.sort());
    expect(acknowledged).toEqual(expect.arrayContaining(['alice', 'bob', 'carol']));
  });
});
