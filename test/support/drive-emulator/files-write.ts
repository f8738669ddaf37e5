import { fieldsOf, flag, visibleItem, type ApiRequest } from './api-context';
import { projectFile } from './file-resource';
import { DriveApiError, fileNotFound, googleError } from './google-errors';
import { emptyReply, jsonReply, rawReply, type Reply } from './http-reply';
import { FOLDER_MIME, newDriveId, type DriveItem, type DriveStore } from './store';
import { readWriteBody } from './upload-body';

const WRITABLE_ON_UPDATE = ['name', 'mimeType', 'trashed', 'description'];

/** Single-file Drive calls: create, get (metadata or media), update, delete, generateIds. */
export class FileWriter {
  constructor(private readonly store: DriveStore) {}

  create(req: ApiRequest, isUpload: boolean): Reply {
    const { metadata, content, contentType } = readWriteBody(req, isUpload);
    const parents = metadata.parents;
    if (parents === undefined || (Array.isArray(parents) && parents.length === 0)) {
      // A service account's My Drive has no quota, which is why the project uses a shared drive.
      throw new DriveApiError(
        googleError(403, {
          reason: 'storageQuotaExceeded',
          message:
            'Service Accounts do not have storage quota. Leverage shared drives (https://developers.google.com/workspace/drive/api/guides/about-shareddrives), or use OAuth delegation instead.',
        }),
      );
    }
    if (!Array.isArray(parents) || parents.some((p) => typeof p !== 'string')) {
      throw new DriveApiError(googleError(400, { reason: 'invalid', message: 'Invalid parents.' }));
    }
    if (parents.length > 1) {
      throw new DriveApiError(
        googleError(403, {
          reason: 'teamDrivesParentLimit',
          message: 'A shared drive item must have exactly one parent.',
        }),
      );
    }
    const parentId = parents[0] as string;
    if (!this.store.isContainer(parentId) || !flag(req.query, 'supportsAllDrives')) {
      throw new DriveApiError(fileNotFound(parentId));
    }
    const id = typeof metadata.id === 'string' ? metadata.id : undefined;
    if (id !== undefined && this.store.get(id)) {
      throw new DriveApiError(
        googleError(409, {
          reason: 'duplicate',
          message: 'A file already exists with the provided ID.',
        }),
      );
    }
    const item = this.store.create({
      id,
      name: typeof metadata.name === 'string' ? metadata.name : 'Untitled',
      mimeType: stringOr(metadata.mimeType, contentType ?? 'application/octet-stream'),
      parentId,
      content: content ?? Buffer.alloc(0),
      createdTime: createdTimeOf(metadata.createdTime),
    });
    return jsonReply(200, projectFile(item, fieldsOf(req.query)));
  }

  get(req: ApiRequest, id: string): Reply {
    const item = visibleItem(this.store, req, id);
    if (req.query.get('alt') !== 'media') {
      return jsonReply(200, projectFile(item, fieldsOf(req.query)));
    }
    if (item.mimeType === FOLDER_MIME) {
      throw new DriveApiError(
        googleError(403, {
          reason: 'fileNotDownloadable',
          message:
            'Only files with binary content can be downloaded. Use Export with Docs Editors files.',
        }),
      );
    }
    return rawReply(200, item.content, item.mimeType);
  }

  update(req: ApiRequest, id: string, isUpload: boolean): Reply {
    const item = visibleItem(this.store, req, id);
    const { metadata, content } = readWriteBody(req, isUpload);
    for (const key of Object.keys(metadata)) {
      if (!WRITABLE_ON_UPDATE.includes(key)) {
        throw new DriveApiError(
          googleError(403, {
            reason: 'fieldNotWritable',
            message:
              key === 'parents'
                ? 'The parents field is not directly writable in update requests. Use the addParents and removeParents parameters instead.'
                : `The resource body includes fields which are not directly writable: ${key}.`,
          }),
        );
      }
    }
    this.moveParents(req, item);
    if (typeof metadata.name === 'string') item.name = metadata.name;
    if (typeof metadata.mimeType === 'string') item.mimeType = metadata.mimeType;
    if (typeof metadata.trashed === 'boolean') item.trashed = metadata.trashed;
    if (content !== undefined) item.content = content;
    this.store.touch(item);
    return jsonReply(200, projectFile(item, fieldsOf(req.query)));
  }

  delete(req: ApiRequest, id: string): Reply {
    visibleItem(this.store, req, id);
    this.store.delete(id);
    return emptyReply(204);
  }

  generateIds(req: ApiRequest): Reply {
    const count = Number(req.query.get('count') ?? '10');
    const ids = Array.from({ length: Math.min(Math.max(count, 1), 1000) }, newDriveId);
    return jsonReply(200, { kind: 'drive#generatedIds', space: 'drive', ids });
  }

  private moveParents(req: ApiRequest, item: DriveItem): void {
    const add = splitIds(req.query.get('addParents'));
    const remove = splitIds(req.query.get('removeParents'));
    if (add.length === 0 && remove.length === 0) return;
    for (const parentId of add) {
      if (!this.store.isContainer(parentId) || this.store.driveOf(parentId) !== item.driveId) {
        throw new DriveApiError(fileNotFound(parentId, 'addParents'));
      }
    }
    const next = [...item.parents.filter((p) => !remove.includes(p)), ...add];
    if (new Set(next).size !== 1) {
      throw new DriveApiError(
        googleError(403, {
          reason: 'teamDrivesParentLimit',
          message: 'A shared drive item must have exactly one parent.',
        }),
      );
    }
    item.parents = [next[0]];
  }
}

function splitIds(raw: string | null): string[] {
  return raw === null ? [] : raw.split(',').filter((s) => s !== '');
}

/** Drive takes `createdTime` on create only, as an RFC 3339 date-time. */
function createdTimeOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new DriveApiError(
      googleError(400, { reason: 'invalid', message: `Invalid value for: createdTime` }),
    );
  }
  return new Date(ms).toISOString();
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
