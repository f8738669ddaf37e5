import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { type LogEntry, RaftLogFile } from '../../../src/storage/raft-log-file';
import { encodeRecord, MAX_RECORD_BYTES } from '../../../src/storage/record-codec';
import { StoreCorruptError } from '../../../src/storage/user-store';
import { makeTempDir } from '../../support/temp-dir';

const entry = (index: number, term = 1): LogEntry => ({
  index,
  term,
  data: { op: 'register', n: index },
});
const range = (from: number, to: number, term = 1) =>
  Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term));

describe('RaftLogFile', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let opened: RaftLogFile[];
  beforeEach(() => {
    tmp = makeTempDir();
    opened = [];
  });
  afterEach(async () => {
    for (const l of opened) await l.close();
    tmp.cleanup();
    jest.restoreAllMocks();
  });
  const reopen = async () => {
    const log = new RaftLogFile(tmp.dir);
    opened.push(log);
    return { log, ...(await log.open()) };
  };

  it('starts empty, then gives back every entry appended, after a restart', async () => {
    const first = await reopen();
    expect(first).toMatchObject({ snapshot: null, entries: [] });
    await first.log.append(range(1, 3));
    await first.log.append([entry(4, 2)]);
    const again = await reopen();
    expect(again.entries).toEqual([...range(1, 3), entry(4, 2)]);
  });

  it('cuts off a conflicting suffix before appending the leader’s entries', async () => {
    const { log } = await reopen();
    await log.append(range(1, 5, 1));
    await log.append(range(3, 4, 2), 3);
    expect((await reopen()).entries).toEqual([...range(1, 2, 1), ...range(3, 4, 2)]);
  });

  it('refuses an append that would leave a gap', async () => {
    const { log } = await reopen();
    await log.append(range(1, 2));
    await expect(log.append([entry(4)])).rejects.toThrow('entry 4 does not follow 2');
  });

  it('drops a torn tail with a warning and appends after the last whole entry', async () => {
    const { log } = await reopen();
    await log.append(range(1, 3));
    const file = join(tmp.dir, 'raft.log');
    truncateSync(file, statSync(file).size - 5);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const again = await reopen();
    expect(again.entries).toEqual(range(1, 2));
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/dropped a torn entry/));
    await again.log.append([entry(3, 5)]);
    expect((await reopen()).entries).toEqual([...range(1, 2), entry(3, 5)]);
  });

  it('refuses a log whose indexes skip, rather than serve a hole', async () => {
    const file = join(tmp.dir, 'raft.log');
    writeFileSync(
      file,
      Buffer.concat([entry(1), entry(3)].map((e) => encodeRecord(Buffer.from(JSON.stringify(e))))),
    );
    await expect(reopen()).rejects.toThrow(StoreCorruptError);
  });

  it('keeps a snapshot and only the entries after it, across a restart', async () => {
    const { log } = await reopen();
    await log.append(range(1, 10));
    await log.saveSnapshot({ index: 7, term: 1, data: { users: 7 } });
    await log.append([entry(11)]);
    const again = await reopen();
    expect(again.snapshot).toEqual({ index: 7, term: 1, data: { users: 7 } });
    expect(again.entries).toEqual([...range(8, 10), entry(11)]);
    // The log was rewritten without the covered entries, not just filtered on reading.
    expect(readFileSync(join(tmp.dir, 'raft.log')).toString()).not.toContain('"index":7,');
  });

  it('can truncate and append right after a compaction', async () => {
    const { log } = await reopen();
    await log.append(range(1, 6));
    await log.saveSnapshot({ index: 4, term: 1, data: null });
    await log.append(range(6, 7, 3), 6);
    expect((await reopen()).entries).toEqual([entry(5), ...range(6, 7, 3)]);
  });

  it('takes a snapshot past the end of the log (a follower catching up)', async () => {
    const { log } = await reopen();
    await log.append(range(1, 2));
    await log.saveSnapshot({ index: 50, term: 4, data: { users: 50 } });
    await log.append([entry(51, 4)]);
    const again = await reopen();
    expect(again.snapshot?.index).toBe(50);
    expect(again.entries).toEqual([entry(51, 4)]);
  });

  it('installs a snapshot from the leader in place of the whole log, later entries included', async () => {
    const { log } = await reopen();
    await log.append(range(1, 9, 1));
    await log.installSnapshot({ index: 5, term: 2, data: { users: 5 } });
    await log.append([entry(6, 2)]);
    const again = await reopen();
    expect(again.snapshot).toEqual({ index: 5, term: 2, data: { users: 5 } });
    expect(again.entries).toEqual([entry(6, 2)]);
  });

  it('reads back a snapshot larger than any log record may be', async () => {
    // A registry of some thousands of users is megabytes: one record, written whole.
    const users = 'u'.repeat(3 * MAX_RECORD_BYTES);
    const { log } = await reopen();
    await log.append(range(1, 3));
    await log.saveSnapshot({ index: 3, term: 1, data: { users } });
    const again = await reopen();
    expect(again.snapshot).toEqual({ index: 3, term: 1, data: { users } });
  });

  it('keeps every entry appended while a snapshot is being saved', async () => {
    // The replicated log goes on appending while its snapshot is written in the background.
    const { log } = await reopen();
    await log.append(range(1, 10));
    const saving = log.saveSnapshot({
      index: 8,
      term: 1,
      data: { users: 'u'.repeat(MAX_RECORD_BYTES) },
    });
    for (let i = 11; i <= 30; i++) await log.append([entry(i)]);
    await saving;
    await log.append(range(31, 32));
    const again = await reopen();
    expect(again.snapshot?.index).toBe(8);
    expect(again.entries).toEqual(range(9, 32));
  });

  it('saves a local snapshot and installs the leader’s in the order they were asked for', async () => {
    const { log } = await reopen();
    await log.append(range(1, 10));
    const local = log.saveSnapshot({ index: 6, term: 1, data: { users: 6 } });
    const installed = log.installSnapshot({ index: 20, term: 3, data: { users: 20 } });
    await Promise.all([local, installed]);
    await log.append([entry(21, 3)]);
    const again = await reopen();
    expect(again.snapshot).toEqual({ index: 20, term: 3, data: { users: 20 } });
    expect(again.entries).toEqual([entry(21, 3)]);
  });

  it('refuses a damaged snapshot', async () => {
    const { log } = await reopen();
    await log.saveSnapshot({ index: 1, term: 1, data: 'x' });
    appendFileSync(join(tmp.dir, 'snapshot.json'), 'junk');
    await expect(reopen()).rejects.toThrow(/not one whole snapshot record/);
  });
});

describe('RaftLogFile and damage in the middle', () => {
  it.each([
    ['a length that points past the end', (buf: Buffer) => buf.writeUInt32BE(buf.length, 0)],
    ['a flipped byte in the first entry', (buf: Buffer) => (buf[12] ^= 0xff)],
  ])('refuses to start on %s rather than cut off the entries after it', async (_what, damage) => {
    const tmp = makeTempDir();
    try {
      const log = new RaftLogFile(tmp.dir);
      await log.open();
      await log.append(range(1, 3));
      await log.close();
      const file = join(tmp.dir, 'raft.log');
      const buf = readFileSync(file);
      damage(buf);
      writeFileSync(file, buf);
      await expect(new RaftLogFile(tmp.dir).open()).rejects.toThrow(
        /corrupt record at byte 0: .*whole records follow it/,
      );
      // Nothing was cut: the damaged file is left as it was, for an operator to look at.
      expect(readFileSync(file).equals(buf)).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });

  it('drops a zero-filled tail, as a crash can leave on some filesystems', async () => {
    const tmp = makeTempDir();
    try {
      const log = new RaftLogFile(tmp.dir);
      await log.open();
      await log.append(range(1, 2));
      await log.close();
      appendFileSync(join(tmp.dir, 'raft.log'), Buffer.alloc(4096));
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const again = new RaftLogFile(tmp.dir);
      expect((await again.open()).entries).toEqual(range(1, 2));
      await again.close();
    } finally {
      tmp.cleanup();
      jest.restoreAllMocks();
    }
  });
});
