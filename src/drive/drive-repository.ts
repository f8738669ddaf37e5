import { OAuth2Client } from 'googleapis-common';
import { drive_v3 } from 'googleapis/build/src/apis/drive';
import type { RegisteredUser } from '../storage/registered-user';
import type { PutOutcome, UserPage, UserStore } from '../storage/user-store';
import type { AccessTokenSource } from './access-token-source';
import {
  type DriveFileFacts,
  parseUserFile,
  settleExisting,
  USER_FILE_MIME,
  userFileContent,
  userFileName,
  usernameOfFile,
} from './drive-user-file';

export interface DriveLocation {
  sharedDriveId: string;
  folderId: string;
  /** GOOGLE_API_ROOT_URL, with a trailing slash. */
  apiRootUrl: string;
}

const PAGE_SIZE = 1000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Files downloaded at once during an import. */
const READ_CONCURRENCY = 8;

/** Drive's query language quotes with single quotes and escapes with backslashes. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The registered-users folder of a shared drive, through the Drive v3 API. Shared drives hide
 * their files from any call without the all-drives flags, so every call carries them. Retries
 * are the outbox's business: the client's own are off.
 */
export class DriveRepository implements UserStore {
  private readonly drive: drive_v3.Drive;

  constructor(
    private readonly where: DriveLocation,
    tokens: AccessTokenSource,
  ) {
    // An expired or revoked token gets one fresh fetch and one more try.
    const auth = new OAuth2Client({ forceRefreshOnFailure: true });
    auth.refreshHandler = async () => {
      const t = await tokens.fetch();
      return { access_token: t.token, expiry_date: t.expiresAt };
    };
    this.drive = new drive_v3.Drive({
      auth,
      rootUrl: where.apiRootUrl,
      retry: false,
      timeout: REQUEST_TIMEOUT_MS,
      // Node's own fetch: gaxios would otherwise import node-fetch dynamically on first use.
      fetchImplementation: fetch,
    });
  }

  async *readAll(): AsyncGenerator<UserPage> {
    for await (const files of this.pages(this.inFolder())) {
      const page: UserPage = { users: [], skipped: [] };
      for (let i = 0; i < files.length; i += READ_CONCURRENCY) {
        const batch = files.slice(i, i + READ_CONCURRENCY);
        const contents = await Promise.all(batch.map((f) => this.read(f.id)));
        batch.forEach((f, j) => {
          const parsed = parseUserFile(f, contents[j]);
          if ('why' in parsed) page.skipped.push({ name: f.name, why: parsed.why });
          else page.users.push(parsed);
        });
      }
      yield page;
    }
  }

  async usernames(): Promise<Set<string>> {
    const names = new Set<string>();
    for await (const files of this.pages(this.inFolder())) {
      for (const f of files) {
        const name = usernameOfFile(f.name);
        if (name !== null) names.add(name);
      }
    }
    return names;
  }

  async put(user: RegisteredUser): Promise<PutOutcome> {
    const name = userFileName(user.username);
    // Looked up first, every time: a create whose answer was lost may have happened.
    const existing: DriveFileFacts[] = [];
    for await (const files of this.pages(`${this.inFolder()} and name = ${quote(name)}`)) {
      existing.push(...files);
    }
    const content = userFileContent(user);
    if (existing.length === 0) {
      await this.drive.files.create(
        {
          supportsAllDrives: true,
          fields: 'id',
          requestBody: { name, parents: [this.where.folderId], mimeType: USER_FILE_MIME },
          media: { mimeType: USER_FILE_MIME, body: content },
        },
        this.uploadOptions(),
      );
      return 'created';
    }
    const found = await Promise.all(
      existing.map(async (file) => ({ file, read: parseUserFile(file, await this.read(file.id)) })),
    );
    const settled = settleExisting(user, found);
    if (settled === 'already-there' || settled.kind === 'left-alone') return settled;
    await this.drive.files.update(
      {
        fileId: settled.fileId,
        supportsAllDrives: true,
        fields: 'id',
        media: { mimeType: USER_FILE_MIME, body: content },
      },
      this.uploadOptions(),
    );
    return 'replaced';
  }

  /** googleapis builds upload URLs from the per-call rootUrl only, never the client's. */
  private uploadOptions(): { rootUrl: string } {
    return { rootUrl: this.where.apiRootUrl };
  }

  private inFolder(): string {
    return `${quote(this.where.folderId)} in parents and trashed = false`;
  }

  private async read(fileId: string): Promise<string> {
    const res = await this.drive.files.get(
      { fileId, alt: 'media', supportsAllDrives: true },
      { responseType: 'text' },
    );
    return typeof res.data === 'string' ? res.data : JSON.stringify(res.data);
  }

  private async *pages(q: string): AsyncGenerator<DriveFileFacts[]> {
    let pageToken: string | undefined;
    do {
      const res = await this.drive.files.list({
        q,
        driveId: this.where.sharedDriveId,
        corpora: 'drive',
        includeItemsFromAllDrives: true,
        supportsAllDrives: true,
        pageSize: PAGE_SIZE,
        pageToken,
        // createdTime: the registration time of a file that does not say it (the seed's).
        fields: 'nextPageToken, files(id, name, createdTime)',
      });
      const files = (res.data.files ?? []).flatMap((f) =>
        typeof f.id === 'string' && typeof f.name === 'string'
          ? [{ id: f.id, name: f.name, createdTime: f.createdTime ?? undefined }]
          : [],
      );
      yield files;
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
  }
}
