import type { drive_v3 } from 'googleapis/build/src/apis/drive';
import { DriveEmulator, type ServiceAccount } from '../../support/drive-emulator';
import { driveClientFor } from '../../support/drive-emulator/drive-client';

const DRIVE = 'drive-rollcall';
const FOLDER = 'folder-registrations';
const ALL_DRIVES = {
  supportsAllDrives: true,
  includeItemsFromAllDrives: true,
  corpora: 'drive',
  driveId: DRIVE,
};

async function statusOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
  } catch (err) {
    return (err as { status?: number }).status;
  }
  throw new Error('expected the call to fail');
}

describe('DriveEmulator files over the real googleapis client', () => {
  let emulator: DriveEmulator;
  let account: ServiceAccount;
  let drive: drive_v3.Drive;

  beforeEach(async () => {
    emulator = await DriveEmulator.start();
    account = emulator.addServiceAccount();
    emulator.addSharedDrive(DRIVE);
    emulator.addFolder(DRIVE, FOLDER);
    drive = await driveClientFor(emulator, account);
  });

  afterEach(() => emulator.close());

  // googleapis builds upload URLs from the per-call rootUrl only (the client-level one is ignored
  // for media), so without this an upload would go to www.googleapis.com.
  const uploadOpts = () => ({ rootUrl: emulator.rootUrl });

  it('listens on loopback only, with a trailing-slash root URL', () => {
    expect(emulator.rootUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(emulator.tokenUrl).toBe(`${emulator.rootUrl}token`);
  });

  it('creates by multipart upload and serves the content back with alt=media', async () => {
    const content = JSON.stringify({ node: 'n1', note: 'crlf\r\n--and dashes' });
    const created = await drive.files.create(
      {
        supportsAllDrives: true,
        requestBody: { name: 'n1.json', parents: [FOLDER], mimeType: 'application/json' },
        media: { mimeType: 'application/json', body: content },
        fields: 'id,name,mimeType,parents',
      },
      uploadOpts(),
    );
    expect(created.data).toMatchObject({ name: 'n1.json', parents: [FOLDER] });
    const id = created.data.id!;
    expect(emulator.filesIn(FOLDER)).toEqual([
      expect.objectContaining({ id, name: 'n1.json', mimeType: 'application/json', content }),
    ]);
    expect(emulator.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/upload/drive/v3/files',
      query: expect.objectContaining({ uploadType: 'multipart' }),
      status: 200,
    });

    const media = await drive.files.get(
      { fileId: id, alt: 'media', supportsAllDrives: true },
      { responseType: 'text' },
    );
    expect(media.data).toBe(content);
    const meta = await drive.files.get({ fileId: id, supportsAllDrives: true });
    expect(meta.data).toEqual({
      kind: 'drive#file',
      id,
      name: 'n1.json',
      mimeType: 'application/json',
    });
  });

  it('keeps a createdTime given on create and lists it when asked for', async () => {
    const given = '2025-03-04T05:06:07.000Z';
    const created = await drive.files.create(
      {
        supportsAllDrives: true,
        requestBody: { name: 'old.json', parents: [FOLDER], createdTime: given },
        media: { mimeType: 'application/json', body: '{}' },
        fields: 'id,createdTime',
      },
      uploadOpts(),
    );
    expect(created.data.createdTime).toBe(given);
    const byHand = emulator.putFile(FOLDER, 'seed.json', '{}', { createdTime: given });
    const listed = await drive.files.list({
      q: `'${FOLDER}' in parents`,
      ...ALL_DRIVES,
      fields: 'files(id, createdTime)',
    });
    expect(listed.data.files).toEqual([
      { id: created.data.id, createdTime: given },
      { id: byHand, createdTime: given },
    ]);
    const bad = drive.files.create(
      { supportsAllDrives: true, requestBody: { name: 'x', parents: [FOLDER], createdTime: 'x' } },
      uploadOpts(),
    );
    expect(await statusOf(bad)).toBe(400);
  });

  it('accepts a streamed media body', async () => {
    const { Readable } = await import('node:stream');
    const created = await drive.files.create(
      {
        supportsAllDrives: true,
        requestBody: { name: 's.json', parents: [FOLDER] },
        media: { mimeType: 'application/json', body: Readable.from(['{"a":', '1}']) },
      },
      uploadOpts(),
    );
    expect(emulator.filesIn(FOLDER)).toEqual([
      expect.objectContaining({ id: created.data.id, content: '{"a":1}' }),
    ]);
  });

  it('hides shared-drive items from requests without the shared-drive flags', async () => {
    const id = emulator.putFile(FOLDER, 'a.json', '{}');
    const q = `'${FOLDER}' in parents and trashed = false`;

    const withFlags = await drive.files.list({ q, ...ALL_DRIVES });
    expect(withFlags.data.files).toEqual([
      { kind: 'drive#file', id, name: 'a.json', mimeType: 'application/json' },
    ]);
    const allDrives = await drive.files.list({
      q,
      supportsAllDrives: true,
      includeItemsFromAllDrives: true,
      corpora: 'allDrives',
    });
    expect(allDrives.data.files?.map((f) => f.id)).toEqual([id]);

    const without = await drive.files.list({ q });
    expect(without.data.files).toEqual([]);
    expect(await statusOf(drive.files.list({ q, driveId: DRIVE, corpora: 'drive' }))).toBe(403);
    expect(await statusOf(drive.files.list({ q, ...ALL_DRIVES, corpora: 'allDrives' }))).toBe(400);
    expect(await statusOf(drive.files.get({ fileId: id }))).toBe(404);
    expect(await statusOf(drive.files.get({ fileId: id, alt: 'media' }))).toBe(404);
  });

  it('answers 404 for a create in a shared drive without supportsAllDrives or with an unknown parent', async () => {
    for (const [parent, supportsAllDrives] of [
      [FOLDER, false],
      ['no-such-folder', true],
    ] as const) {
      const err = await drive.files
        .create(
          {
            supportsAllDrives,
            requestBody: { name: 'x.json', parents: [parent] },
            media: { mimeType: 'application/json', body: '{}' },
          },
          uploadOpts(),
        )
        .then(
          () => undefined,
          (e: unknown) => e as { status: number; response: { data: unknown } },
        );
      expect(err?.status).toBe(404);
      expect(err?.response.data).toMatchObject({
        error: {
          code: 404,
          message: `File not found: ${parent}.`,
          errors: [{ reason: 'notFound' }],
        },
      });
    }
    expect(emulator.filesIn(FOLDER)).toEqual([]);
  });

  it('refuses a create without a parent because service accounts have no storage quota', async () => {
    expect(
      await statusOf(
        drive.files.create(
          {
            supportsAllDrives: true,
            requestBody: { name: 'x.json' },
            media: { mimeType: 'application/json', body: '{}' },
          },
          uploadOpts(),
        ),
      ),
    ).toBe(403);
  });

  it('filters by name, with escaped quotes, and by trashed', async () => {
    emulator.putFile(FOLDER, "o'brien\\x.json", '1');
    const keep = emulator.putFile(FOLDER, 'n.json', '2');
    const gone = emulator.putFile(FOLDER, 'n.json', '3');
    emulator.trashFile(gone);

    const byQuote = await drive.files.list({ ...ALL_DRIVES, q: "name = 'o\\'brien\\\\x.json'" });
    expect(byQuote.data.files?.map((f) => f.name)).toEqual(["o'brien\\x.json"]);
    const live = await drive.files.list({
      ...ALL_DRIVES,
      q: `'${FOLDER}' in parents and name = 'n.json' and trashed = false`,
    });
    expect(live.data.files?.map((f) => f.id)).toEqual([keep]);
    const any = await drive.files.list({ ...ALL_DRIVES, q: "name = 'n.json'" });
    expect(any.data.files?.map((f) => f.id)).toEqual([keep, gone]);
    expect(emulator.countByName(FOLDER, 'n.json')).toBe(1);
  });

  it('rejects query syntax it does not understand with a 400 naming the problem', async () => {
    const err = await drive.files.list({ ...ALL_DRIVES, q: "name contains 'x'" }).then(
      () => undefined,
      (e: unknown) => e as { status: number; response: { data: { error: { message: string } } } },
    );
    expect(err?.status).toBe(400);
    expect(err?.response.data.error.message).toMatch(/contains/);
  });

  it('updates content and name, and trashes, through PATCH', async () => {
    const id = emulator.putFile(FOLDER, 'u.json', '{"v":1}');
    await drive.files.update(
      {
        fileId: id,
        supportsAllDrives: true,
        requestBody: { name: 'u2.json' },
        media: { mimeType: 'application/json', body: '{"v":2}' },
      },
      uploadOpts(),
    );
    expect(emulator.filesIn(FOLDER)).toEqual([
      expect.objectContaining({ id, name: 'u2.json', content: '{"v":2}' }),
    ]);
    expect(await statusOf(drive.files.update({ fileId: id, requestBody: { trashed: true } }))).toBe(
      404,
    );
    await drive.files.update({
      fileId: id,
      supportsAllDrives: true,
      requestBody: { trashed: true },
    });
    expect(emulator.filesIn(FOLDER)).toEqual([]);
  });

  it('deletes a file', async () => {
    const id = emulator.putFile(FOLDER, 'd.json', '{}');
    await drive.files.delete({ fileId: id, supportsAllDrives: true });
    expect(await statusOf(drive.files.get({ fileId: id, supportsAllDrives: true }))).toBe(404);
  });
});

describe('DriveEmulator paging', () => {
  let emulator: DriveEmulator;

  beforeEach(async () => {
    emulator = await DriveEmulator.start({ maxPageSize: 100 });
    emulator.addSharedDrive(DRIVE);
    emulator.addFolder(DRIVE, FOLDER);
  });

  afterEach(() => emulator.close());

  it('returns 250 files in 3 pages when capped at 100 even if 1000 are asked for', async () => {
    const drive = await driveClientFor(emulator, emulator.addServiceAccount());
    const expected = Array.from({ length: 250 }, (_, i) => emulator.putFile(FOLDER, `f${i}`, '{}'));
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const res = await drive.files.list({
        ...ALL_DRIVES,
        q: `'${FOLDER}' in parents and trashed = false`,
        pageSize: 1000,
        pageToken,
        fields: 'nextPageToken, files(id, name)',
      });
      pages++;
      seen.push(...(res.data.files ?? []).map((f) => f.id!));
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    expect(pages).toBe(3);
    expect(seen).toEqual(expected);
    expect(await statusOf(drive.files.list({ ...ALL_DRIVES, pageToken: 'not-a-token' }))).toBe(400);
    expect(await statusOf(drive.files.list({ ...ALL_DRIVES, pageSize: 1001 }))).toBe(400);
  });
});
