import type { drive_v3 } from 'googleapis/build/src/apis/drive';
import { DriveEmulator } from '../../support/drive-emulator';
import { driveClientFor } from '../../support/drive-emulator/drive-client';

const DRIVE = 'drive-faults';
const FOLDER = 'folder-faults';
const LIST = {
  supportsAllDrives: true,
  includeItemsFromAllDrives: true,
  corpora: 'drive',
  driveId: DRIVE,
  q: `'${FOLDER}' in parents`,
};

interface SeenError {
  status?: number;
  response?: { status: number; headers: Headers; data: unknown };
}

async function failureOf(call: Promise<unknown>): Promise<SeenError> {
  try {
    await call;
  } catch (err) {
    return err as SeenError;
  }
  throw new Error('expected the call to fail');
}

describe('DriveEmulator faults', () => {
  let emulator: DriveEmulator;
  let drive: drive_v3.Drive;

  beforeEach(async () => {
    emulator = await DriveEmulator.start();
    emulator.addSharedDrive(DRIVE);
    emulator.addFolder(DRIVE, FOLDER);
    drive = await driveClientFor(emulator, emulator.addServiceAccount());
  });

  afterEach(() => emulator.close());

  it('answers 429 with Retry-After for the next n calls, then recovers', async () => {
    emulator.failNext(2, { status: 429, retryAfterSeconds: 7 });
    for (let i = 0; i < 2; i++) {
      const err = await failureOf(drive.files.list(LIST));
      expect(err.status).toBe(429);
      expect(err.response?.headers.get('retry-after')).toBe('7');
      expect(err.response?.data).toMatchObject({
        error: { code: 429, errors: [{ domain: 'global', reason: 'rateLimitExceeded' }] },
      });
    }
    await expect(drive.files.list(LIST)).resolves.toMatchObject({ status: 200 });
  });

  it.each([500, 503] as const)('answers %i backendError once', async (status) => {
    emulator.failNext(1, { status });
    const err = await failureOf(drive.files.list(LIST));
    expect(err.status).toBe(status);
    expect(err.response?.headers.get('retry-after')).toBeNull();
    expect(err.response?.data).toMatchObject({ error: { errors: [{ reason: 'backendError' }] } });
    await expect(drive.files.list(LIST)).resolves.toMatchObject({ status: 200 });
  });

  it('fails every call with 503 during an outage, and none after it', async () => {
    emulator.outage(true);
    for (let i = 0; i < 3; i++) expect((await failureOf(drive.files.list(LIST))).status).toBe(503);
    emulator.outage(false);
    await expect(drive.files.list(LIST)).resolves.toMatchObject({ status: 200 });
  });

  it('resets connections without an answer during a reset outage', async () => {
    emulator.outage(true, 'reset');
    const err = await failureOf(drive.files.list(LIST));
    expect(err.response).toBeUndefined();
    expect(emulator.requests.at(-1)).toMatchObject({ outcome: 'reset' });
    emulator.outage(false);
    await expect(drive.files.list(LIST)).resolves.toMatchObject({ status: 200 });
  });

  it('holds answers back by the configured latency', async () => {
    // A client timeout 50x shorter than the latency shows the hold without measuring durations.
    emulator.setLatency(5000);
    const err = await failureOf(drive.files.list(LIST, { timeout: 100 }));
    expect(err.response).toBeUndefined();
    expect(emulator.requests.at(-1)).toMatchObject({ status: 200 });
    emulator.setLatency(0);
    await expect(drive.files.list(LIST, { timeout: 5000 })).resolves.toMatchObject({ status: 200 });
  });

  it('carries out a create whose answer is dropped, so a blind retry duplicates it', async () => {
    emulator.dropResponseOfNext(1);
    const create = () =>
      drive.files.create(
        {
          supportsAllDrives: true,
          requestBody: { name: 'dup.json', parents: [FOLDER] },
          media: { mimeType: 'application/json', body: '{}' },
        },
        { rootUrl: emulator.rootUrl },
      );
    const err = await failureOf(create());
    expect(err.response).toBeUndefined();
    expect(emulator.countByName(FOLDER, 'dup.json')).toBe(1);
    expect(emulator.requests.at(-1)).toMatchObject({ status: 200, outcome: 'dropped' });
    await create();
    expect(emulator.countByName(FOLDER, 'dup.json')).toBe(2);
  });

  it('leaves the token endpoint alone unless faults target it', async () => {
    emulator.outage(true);
    await expect(driveClientFor(emulator, emulator.addServiceAccount())).resolves.toBeDefined();
    emulator.setFaultTarget('token');
    await expect(driveClientFor(emulator, emulator.addServiceAccount())).rejects.toThrow(/503/);
    await expect(drive.files.list(LIST)).resolves.toMatchObject({ status: 200 });
  });
});
