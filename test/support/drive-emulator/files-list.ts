import { randomBytes } from 'node:crypto';
import { flag, fieldsOf, type ApiRequest } from './api-context';
import { projectFile, type FieldSelection } from './file-resource';
import { DriveApiError, googleError, invalidParameter } from './google-errors';
import { jsonReply, type Reply } from './http-reply';
import { parseQuery, QuerySyntaxError, type ItemPredicate } from './list-query';
import type { DriveItem, DriveStore } from './store';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

interface PageCursor {
  offset: number;
  fingerprint: string;
}

/** `files.list` with Drive's corpora/shared-drive rules and opaque page tokens. */
export class FileLister {
  private readonly cursors = new Map<string, PageCursor>();

  constructor(
    private readonly store: DriveStore,
    private readonly maxPageSize: number | undefined,
  ) {}

  list(req: ApiRequest): Reply {
    const { query } = req;
    const inScope = this.scopeFilter(query);
    const matches = this.queryFilter(query.get('q'));
    const pageSize = this.pageSize(query.get('pageSize'));
    const fingerprint = fingerprintOf(query);
    const offset = this.startOffset(query.get('pageToken'), fingerprint);

    const hits = this.store
      .all()
      .filter((item) => inScope(item) && matches(item))
      .sort(orderingOf(query.get('orderBy')));
    const page = hits.slice(offset, offset + pageSize);
    let nextPageToken: string | undefined;
    if (offset + page.length < hits.length) {
      nextPageToken = randomBytes(18).toString('base64url');
      this.cursors.set(nextPageToken, { offset: offset + page.length, fingerprint });
    }
    return jsonReply(200, shapeAnswer(page, nextPageToken, fieldsOf(query)));
  }

  private scopeFilter(query: URLSearchParams): ItemPredicate {
    const corpora = query.get('corpora') ?? 'user';
    const driveId = query.get('driveId');
    const allDrives = flag(query, 'supportsAllDrives') && flag(query, 'includeItemsFromAllDrives');
    if (driveId !== null && !flag(query, 'includeItemsFromAllDrives')) {
      throw new DriveApiError(
        googleError(403, {
          reason: 'teamDriveIdRequiresIncludeItems',
          message:
            'The includeItemsFromAllDrives parameter must be set to true when driveId is specified.',
        }),
      );
    }
    if ((corpora === 'drive') !== (driveId !== null)) {
      throw new DriveApiError(
        invalidParameter(
          'driveId',
          'The driveId parameter must be specified if and only if corpora is set to drive.',
        ),
      );
    }
    if (!['user', 'drive', 'allDrives', 'domain'].includes(corpora)) {
      throw new DriveApiError(invalidParameter('corpora', `unknown corpora '${corpora}'`));
    }
    if (driveId !== null && !this.store.hasDrive(driveId)) {
      throw new DriveApiError(
        googleError(404, {
          reason: 'notFound',
          message: `Shared drive not found: ${driveId}`,
          location: 'driveId',
          locationType: 'parameter',
        }),
      );
    }
    // A service account's own My Drive is empty here, so outside these corpora nothing matches.
    if (!allDrives) return () => false;
    if (corpora === 'drive') return (item) => item.driveId === driveId;
    if (corpora === 'allDrives') return () => true;
    return () => false;
  }

  private queryFilter(q: string | null): ItemPredicate {
    if (q === null || q.trim() === '') return () => true;
    try {
      return parseQuery(q);
    } catch (err) {
      if (err instanceof QuerySyntaxError)
        throw new DriveApiError(invalidParameter('q', err.message));
      throw err;
    }
  }

  private pageSize(raw: string | null): number {
    let size = DEFAULT_PAGE_SIZE;
    if (raw !== null) {
      size = Number(raw);
      if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
        throw new DriveApiError(
          invalidParameter(
            'pageSize',
            `Invalid value '${raw}'. Values must be within the range: [1, ${MAX_PAGE_SIZE}]`,
          ),
        );
      }
    }
    return Math.min(size, this.maxPageSize ?? size);
  }

  private startOffset(token: string | null, fingerprint: string): number {
    if (token === null) return 0;
    const cursor = this.cursors.get(token);
    if (!cursor || cursor.fingerprint !== fingerprint) {
      throw new DriveApiError(
        invalidParameter('pageToken', 'unknown page token or one issued for another query'),
      );
    }
    return cursor.offset;
  }
}

/** A page token belongs to one query; paging parameters and projection may change between pages. */
function fingerprintOf(query: URLSearchParams): string {
  const kept = [...query.entries()].filter(
    ([key]) => !['pageToken', 'pageSize', 'fields', 'prettyPrint', 'alt'].includes(key),
  );
  return JSON.stringify(kept.sort(([a], [b]) => a.localeCompare(b)));
}

function orderingOf(orderBy: string | null): (a: DriveItem, b: DriveItem) => number {
  const keys = (orderBy ?? '')
    .split(',')
    .map((k) => k.trim().split(/\s+/))
    .filter(([name]) => name === 'name' || name === 'createdTime' || name === 'modifiedTime');
  return (a, b) => {
    for (const [name, direction] of keys) {
      const field = name as 'name' | 'createdTime' | 'modifiedTime';
      const cmp = a[field].localeCompare(b[field]);
      if (cmp !== 0) return direction === 'desc' ? -cmp : cmp;
    }
    return a.seq - b.seq;
  };
}

function shapeAnswer(
  page: DriveItem[],
  nextPageToken: string | undefined,
  fields: FieldSelection | undefined,
): Record<string, unknown> {
  const full: Record<string, unknown> = { kind: 'drive#fileList', incompleteSearch: false };
  if (nextPageToken !== undefined) full.nextPageToken = nextPageToken;
  if (fields === undefined) {
    full.files = page.map((item) => projectFile(item, undefined));
    return full;
  }
  const out: Record<string, unknown> = {};
  for (const [key, sub] of fields) {
    if (key === 'files') {
      out.files = page.map((item) => projectFile(item, sub ?? new Map([['*', undefined]])));
    } else if (key === '*') {
      Object.assign(out, full, {
        files: page.map((item) => projectFile(item, new Map([['*', undefined]]))),
      });
    } else if (key in full) {
      out[key] = full[key];
    }
  }
  return out;
}
