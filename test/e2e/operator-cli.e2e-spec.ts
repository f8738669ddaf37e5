import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSnapshot } from '../../src/admin/snapshot-file';
import { run } from '../../src/ops-cli/program';
import { TestCluster } from '../support/cluster';
import { DocProcedure, envOf, exampleMachines, flagOf } from '../support/doc-procedure';
import { waitFor } from '../support/poll';
import { makeTempDir } from '../support/temp-dir';

const TOKEN = 'e2e-admin-token-0123456789';

/** Runs `rollcall ...args` in this process against the cluster; what it printed and its code. */
async function rollcall(cluster: TestCluster, ...args: string[]) {
  let out = '';
  let err = '';
  const env = {
    ROLLCALL_ENDPOINTS: [0, 1, 2].map((i) => cluster.url(i)).join(','),
    ROLLCALL_ADMIN_TOKEN: TOKEN,
  };
  const code = await run(args, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env,
  });
  return { code, out, err };
}

interface User {
  user_id: string;
  username: string;
  addr: string;
  registered_at: string;
}

/** `rollcall members list`'s table: each row's node and role, and the configuration's index. */
function membersOf(table: string): { rows: string[][]; configIndex: number | null } {
  const lines = table.trimEnd().split('\n');
  const rows = lines.slice(1, -1).map((line) => line.split(/\s+/).slice(0, 2));
  const index = /^configuration at log index (\d+)$/.exec(lines.at(-1) ?? '');
  return { rows, configIndex: index ? Number(index[1]) : null };
}

async function usersOf(url: string): Promise<User[]> {
  const res = await fetch(`${url}/users`);
  return ((await res.json()) as { users: User[] }).users;
}

describe('the rollcall CLI against a 3-node cluster', () => {
  const tmp = makeTempDir('rollcall-ops-');
  const file = join(tmp.dir, 'backup.ndjson');
  let cluster: TestCluster;
  let restored: TestCluster | null = null;
  const tokens = new Map<string, string>();
  let users: User[] = [];

  beforeAll(async () => {
    cluster = await new TestCluster({
      size: 3,
      extra: 'require_client_token = true',
      env: { ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'trace' },
    }).start();
    const leader = await cluster.waitForLeader();
    for (const name of ['alice', 'bob', 'carol']) {
      const res = await fetch(`${cluster.url(leader)}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: name, addr: '127.0.0.1:9000' }),
      });
      expect(res.status).toBe(200);
      tokens.set(name, ((await res.json()) as { token: string }).token);
    }
    users = await usersOf(cluster.url(leader));
  });
  afterAll(async () => {
    await cluster?.stop(); // again after the disaster: stopping twice is harmless
    await restored?.stop();
    tmp.cleanup();
  });

  it('status prints every member and the leader, and exits 0', async () => {
    const leader = cluster.ids[await cluster.waitForLeader()];
    const { code, out } = await rollcall(cluster, 'status');
    expect(code).toBe(0);
    for (const id of cluster.ids) expect(out).toContain(id);
    expect(out).toContain(`leader ${leader} in term`);
    const json = JSON.parse((await rollcall(cluster, 'status', '--json')).out) as {
      leader: string;
      members: { node: string; role: string; log_lag: number | null }[];
    };
    expect(json.leader).toBe(leader);
    expect(json.members.map((m) => m.node).sort()).toEqual([...cluster.ids].sort());
    expect(json.members.filter((m) => m.role === 'leader').map((m) => m.node)).toEqual([leader]);
  });

  it('leader transfer --to hands leadership to the member named', async () => {
    const before = await cluster.waitForLeader();
    const target = cluster.ids[(before + 1) % 3];
    const { code, out, err } = await rollcall(cluster, 'leader', 'transfer', '--to', target);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain(`to ${target}`);
    expect(cluster.ids[await cluster.waitForLeader()]).toBe(target);
  });

  it('refuses admin commands with a wrong token (exit 1), and no token reaches a log', async () => {
    const wrong = await run(['snapshot', 'save', join(tmp.dir, 'x'), '--token', `${TOKEN}-wrong`], {
      out: () => undefined,
      err: (t) => expect(t).toMatch(/^rollcall: The admin token is wrong/),
      env: { ROLLCALL_ENDPOINTS: cluster.url(0) },
    });
    expect(wrong).toBe(1);
    expect(existsSync(join(tmp.dir, 'x'))).toBe(false);
    const lines = [0, 1, 2].flatMap((i) => cluster.node(i).lines);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes(TOKEN))).toBe(false);
  });

  it('snapshot save writes a checked file with every user (operations.md "Back up")', async () => {
    const backUp = DocProcedure.read('Back up');
    // Step 1: save the leader's snapshot, into this test's file.
    const [save] = backUp.rollcall(1, (c) => c.replaceAll('backup.ndjson', file));
    const { code, out } = await rollcall(cluster, ...save);
    expect(backUp.stepsNotTaken()).toEqual([]);
    expect(code).toBe(0);
    expect(out).toMatch(/^saved 3 users at index \d+ \(term \d+\) from /);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });

  it('restore refuses a damaged file and writes nothing', async () => {
    const damaged = join(tmp.dir, 'damaged.ndjson');
    writeFileSync(damaged, readFileSync(file, 'utf8').replace('alice', 'alicf'));
    const dir = join(tmp.dir, 'never');
    let err = '';
    const code = await run(['snapshot', 'restore', damaged, '--data-dir', dir], {
      out: () => undefined,
      err: (t) => (err += t),
      env: {},
    });
    expect(code).toBe(1);
    expect(err).toMatch(/^rollcall: checksum mismatch .*the file is damaged\n$/);
    expect(existsSync(dir)).toBe(false);
  });

  it("a new cluster at new addresses, restored by operations.md's procedure, has every user and the restored members", async () => {
    const restore = DocProcedure.read('Restore after a disaster');
    const dirs = [0, 1, 2].map((i) => join(tmp.dir, `restored-${i}`));
    // The new machines' addresses are known before their data directories are built.
    const fresh = await new TestCluster({
      size: 3,
      // A fourth address, never started: config.toml's peers will name it, the restore will not.
      spares: 1,
      extra: 'require_client_token = true',
      env: { ADMIN_TOKEN: TOKEN },
      dataDirs: dirs,
    }).reserve();
    restored = fresh;
    const voters = fresh.ids.slice(0, 3);
    /** The page's example node i is the new cluster's node i; its backup is this test's file. */
    const sub = (c: string) =>
      exampleMachines((i) => ({ node: fresh.ids[i], api: fresh.url(i), dataDir: dirs[i] }))(
        c.replaceAll('backup.ndjson', file),
      );
    const backupIndex = decodeSnapshot(readFileSync(file)).header.index;
    // Step 1: the new cluster's config.toml lists the new addresses (TestCluster writes it), and
    // here a fourth besides (PEERS): were the nodes to follow it, they would need 3 of 4 voters.
    expect(restore.step(1, sub)).toEqual([]);
    fresh.opts.env = { ...fresh.opts.env, PEERS: fresh.ids.join(',') };
    // Step 2: each new node's data directory, restored from the same file with the new members.
    const restores = restore.rollcall(2, sub);
    expect(restores.map((args) => flagOf(args, '--this-node'))).toEqual(voters);
    for (const args of restores) {
      expect(flagOf(args, '--peers')).toBe(voters.join(','));
      const r = await run(args, {
        out: () => undefined,
        err: (t) => expect(t).toBe(''),
        env: {},
      });
      expect(r).toBe(0);
    }
    const again = await run(['snapshot', 'restore', file, '--data-dir', dirs[0]], {
      out: () => undefined,
      err: (t) => expect(t).toMatch(/is not empty/),
      env: {},
    });
    expect(again).toBe(1);
    // The disaster: the old cluster is gone, data and all, before the new one starts.
    await cluster.stop();
    // Step 3: the nodes start on the restored directories (ports of their own: new addresses).
    await fresh.start();
    const starts = restore.step(3, sub).map((c) => c.split(/\s+/));
    expect(starts.map((w) => [envOf(w).DATA_DIR, flagOf(w, '--this-node')])).toEqual(
      dirs.map((dir, i) => [dir, voters[i]]),
    );
    // Each node says once that the restored members win over its config's peers.
    const ignored = (i: number) =>
      fresh.node(i).lines.filter((l) => l.includes("config.toml's peers") && l.includes('ignored'));
    expect([0, 1, 2].map((i) => ignored(i).length)).toEqual([1, 1, 1]);
    // Step 4: a leader (rollcall status exits 0) serves every user of the backup...
    const leader = await fresh.waitForLeader();
    const [status, list] = restore.rollcall(4, sub);
    const statusRun = await rollcall(fresh, ...status);
    expect([statusRun.code, statusRun.out]).toEqual([
      0,
      expect.stringContaining(`leader ${fresh.ids[leader]}`),
    ]);
    // ...and the members are the restored voters, in force from the backup's index: the
    // restore's configuration, not config.toml's (index 0) nor the backup's old membership.
    const listed = await rollcall(fresh, ...list);
    expect([listed.code, listed.err]).toEqual([0, '']);
    expect(membersOf(listed.out)).toEqual({
      rows: [...voters].sort().map((node) => [node, 'voter']),
      configIndex: backupIndex,
    });
    const [, , usersUrl] = restore.command(4, 'curl', (c) =>
      exampleMachines((i) => ({ node: fresh.ids[i], api: fresh.url(i === 0 ? leader : i) }))(c),
    );
    const url = fresh.url(leader);
    expect(usersUrl).toBe(`${url}/users`);
    expect(await usersOf(url)).toEqual(users);
    expect(restore.stepsNotTaken()).toEqual([]);
    // The token hashes came along: each client's own token still proves it, another's does not.
    const beat = (name: string, token: string) =>
      fetch(`${url}/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ username: name }),
      }).then((r) => r.status);
    await waitFor(
      'alice heartbeats',
      async () => (await beat('alice', tokens.get('alice')!)) === 200,
    );
    expect(await beat('bob', tokens.get('bob')!)).toBe(200);
    expect(await beat('bob', tokens.get('carol')!)).toBe(401);
  });
});
