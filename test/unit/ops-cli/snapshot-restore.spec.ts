import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot } from '../../../src/election/consensus';
import { run } from '../../../src/ops-cli/program';
import { RaftLogFile } from '../../../src/storage/raft-log-file';
import { makeTempDir } from '../../support/temp-dir';
import { writeBackup } from '../admin/snapshot-fixture';

const [A, B, C] = ['127.0.0.1:7100', '127.0.0.1:7101', '127.0.0.1:7102'];

describe('rollcall snapshot restore --this-node --peers', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let file: string;
  let dir: string;
  let out: string;
  let err: string;
  const rollcall = (...args: string[]) =>
    run(['snapshot', 'restore', file, '--data-dir', dir, ...args], {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: {},
    });
  const membershipOnDisk = async () => {
    const log = new RaftLogFile(dir);
    const { snapshot }: { snapshot: Snapshot | null } = await log.open();
    await log.close();
    return snapshot?.membership;
  };

  beforeEach(() => {
    tmp = makeTempDir();
    file = join(tmp.dir, 'backup.ndjson');
    dir = join(tmp.dir, 'data');
    writeBackup(file);
    out = '';
    err = '';
  });
  afterEach(() => tmp.cleanup());

  it('writes the peers as the voters and says how to start this node on it', async () => {
    expect(await rollcall('--this-node', B, '--peers', `${C},${A},${B}`)).toBe(0);
    expect(err).toBe('');
    expect(out).toBe(
      `restored 3 users at index 42 (term 3) into ${dir}; voters ${A}, ${B}, ${C}; start ${B} on it with DATA_DIR=${dir} --this-node ${B}\n`,
    );
    expect(await membershipOnDisk()).toEqual({
      index: 42,
      voters: [A, B, C],
      learners: [],
      apiUrls: {},
    });
  });

  it('records the API URL of an ADDR=API_URL item, and prints the membership as JSON', async () => {
    const peers = `${A}=http://127.0.0.1:3100/,${B},${C}=https://c.example:3102`;
    expect(await rollcall('--this-node', A, '--peers', peers, '--json')).toBe(0);
    const apiUrls = { [A]: 'http://127.0.0.1:3100', [C]: 'https://c.example:3102' };
    expect(JSON.parse(out)).toMatchObject({
      data_dir: dir,
      index: 42,
      // The backup's own members stay in its header; the new ones are beside them.
      peers: ['10.9.9.1:8080', '10.9.9.2:8080', '10.9.9.3:8080'],
      membership: { this_node: A, voters: [A, B, C], api_urls: apiUrls, config_index: 42 },
    });
    expect(await membershipOnDisk()).toEqual({
      index: 42,
      voters: [A, B, C],
      learners: [],
      apiUrls,
    });
  });

  it("without them writes no membership: the node takes config.toml's peers, not the backup's", async () => {
    expect(await rollcall('--json')).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ membership: null });
    expect(await membershipOnDisk()).toBeUndefined();
  });

  it.each([
    [
      ['--this-node', '127.0.0.1:7199', '--peers', `${A},${B}`],
      /^--this-node 127\.0\.0\.1:7199 is not among --peers 127\.0\.0\.1:7100,127\.0\.0\.1:7101: a restored node must be one of the voters$/,
    ],
    [['--this-node', A, '--peers', `${A},${B},${A}`], /^--peers names 127\.0\.0\.1:7100 twice$/],
    [
      ['--this-node', A, '--peers', `${A},${B}=http://x:1,${B}`],
      /^--peers names 127\.0\.0\.1:7101 twice$/,
    ],
    [
      ['--this-node', A, '--peers', `${A},127.0.0.1`],
      /^--peers: "127\.0\.0\.1" is not host:port; an election address is host:port$/,
    ],
    [['--this-node', A, '--peers', `${A},${B}:`], /^--peers: /],
    [['--this-node', A, '--peers', `${A},`], /^--peers: "" is not host:port/],
    [['--this-node', 'localhost', '--peers', A], /^--this-node: "localhost" is not host:port/],
    [
      ['--this-node', A, '--peers', `${A}=ftp://x:1`],
      /^--peers 127\.0\.0\.1:7100=ftp:\/\/x:1: the API must be an http:\/\/ or https:\/\/ URL/,
    ],
    [['--this-node', A, '--peers', `${A}=`], /the API must be an http:\/\/ or https:\/\/ URL/],
    [['--peers', `${A},${B}`], /^--peers needs --this-node/],
    [['--this-node', A], /^--this-node needs --peers/],
  ])('refuses %j with one line, exit 2, writing nothing', async (args, message) => {
    expect(await rollcall(...args)).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')).toEqual([expect.stringMatching(/^rollcall: /), '']);
    expect(err.slice('rollcall: '.length).trimEnd()).toMatch(message);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(tmp.dir)).toEqual(['backup.ndjson']);
  });
});
