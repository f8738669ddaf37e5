import {
  appendFileSync,
  existsSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { FileStore } from '../../../src/storage/file-store';
import type { RegisteredUser } from '../../../src/storage/registered-user';
import { StoreCorruptError } from '../../../src/storage/user-store';
import { makeTempDir } from '../../support/temp-dir';

const user = (n: number): RegisteredUser => ({
  user_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  username: `user${n}`,
  addr: `10.0.0.${n % 250}:${9000 + n}`,
  registered_at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
});

describe('FileStore', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let opened: FileStore[];
  beforeEach(() => {
    tmp = makeTempDir();
    opened = [];
  });
  afterEach(async () => {
    for (const s of opened) await s.close();
    tmp.cleanup();
    jest.restoreAllMocks();
  });

  const file = () => join(tmp.dir, 'data', 'registrations.log');
  const reopen = async () => {
    const store = new FileStore(join(tmp.dir, 'data'));
    opened.push(store);
    const users = await store.open();
    return { store, users };
  };

  it('starts empty from a missing directory and creates it', async () => {
    const { store, users } = await reopen();
    expect(users).toEqual([]);
    expect(existsSync(file())).toBe(true);
    await store.close();
  });

  it('starts empty from an empty file', async () => {
    await (await reopen()).store.close();
    writeFileSync(file(), '');
    const { store, users } = await reopen();
    expect(users).toEqual([]);
    await store.close();
  });

  it('gives back every appended user, in order, after a restart', async () => {
    const { store } = await reopen();
    await Promise.all([1, 2, 3, 4, 5].map((n) => store.append(user(n))));
    await store.append(user(6));
    await store.close();
    const again = await reopen();
    expect(again.users).toEqual([1, 2, 3, 4, 5, 6].map(user));
    await again.store.close();
  });

  it('shares one write among appends that arrive together', async () => {
    const { store } = await reopen();
    const handle = (store as unknown as { handle: { datasync: () => Promise<void> } }).handle;
    const syncs = jest.spyOn(handle, 'datasync');
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(user(i))));
    // The first append flushes alone; the other 49 queue behind it and share the next flush.
    expect(syncs.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(syncs.mock.calls.length).toBeLessThanOrEqual(2);
    await store.close();
    expect((await reopen()).users).toHaveLength(50);
  });

  it.each([1, 5, 8, 20])(
    'drops a tail torn %i bytes into the last record, keeps the rest',
    async (cut) => {
      const { store } = await reopen();
      await store.append(user(1));
      await store.append(user(2));
      await store.close();
      const whole = statSync(file()).size;
      const lastLength = readFileSync(file()).readUInt32BE(whole / 2) + 8;
      truncateSync(file(), whole - lastLength + cut);
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const again = await reopen();
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/dropped a torn record at the tail/));
      expect(again.users).toEqual([user(1)]);
      // The torn bytes are cut off, so the next append starts on a record boundary.
      await again.store.append(user(3));
      await again.store.close();
      expect((await reopen()).users).toEqual([user(1), user(3)]);
    },
  );

  it('drops a last record whose checksum does not match', async () => {
    const { store } = await reopen();
    await store.append(user(1));
    await store.append(user(2));
    await store.close();
    const buf = readFileSync(file());
    buf[buf.length - 3] ^= 0xff;
    writeFileSync(file(), buf);
    expect((await reopen()).users).toEqual([user(1)]);
  });

  it('drops a zero-filled tail, as a crash can leave on some filesystems', async () => {
    const { store } = await reopen();
    await store.append(user(1));
    await store.close();
    appendFileSync(file(), Buffer.alloc(4096));
    expect((await reopen()).users).toEqual([user(1)]);
  });

  it('refuses to start when damage sits before whole records', async () => {
    const { store } = await reopen();
    await store.append(user(1));
    await store.append(user(2));
    await store.close();
    const buf = readFileSync(file());
    buf[12] ^= 0xff; // inside the first record's payload
    writeFileSync(file(), buf);
    await expect(reopen()).rejects.toThrow(StoreCorruptError);
    await expect(reopen()).rejects.toThrow(/corrupt record at byte 0: checksum mismatch/);
  });

  it('rejects appends after close', async () => {
    const { store } = await reopen();
    await store.close();
    await expect(store.append(user(1))).rejects.toThrow(/store is closed/);
  });
});

describe('FileStore and a damaged length field', () => {
  it('refuses to start rather than cut off whole records after it', async () => {
    const tmp = makeTempDir();
    try {
      const store = new FileStore(tmp.dir);
      await store.open();
      for (const n of [1, 2, 3]) await store.append(user(n));
      await store.close();
      const file = join(tmp.dir, 'registrations.log');
      const buf = readFileSync(file);
      // The first record now claims to run past the end of the file, like a torn tail would.
      buf.writeUInt32BE(buf.length, 0);
      writeFileSync(file, buf);
      await expect(new FileStore(tmp.dir).open()).rejects.toThrow(
        /corrupt record at byte 0: its length runs past the end, and whole records follow it/,
      );
      // Nothing was cut: the damaged file is left as it was, for an operator to look at.
      expect(readFileSync(file).equals(buf)).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });
});
