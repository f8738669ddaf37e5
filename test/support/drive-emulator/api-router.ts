import type { ApiRequest } from './api-context';
import type { FileLister } from './files-list';
import type { FileWriter } from './files-write';
import { googleError } from './google-errors';
import type { Reply } from './http-reply';

const FILES = '/drive/v3/files';
const UPLOAD_FILES = '/upload/drive/v3/files';

/** Maps a Drive v3 path and method to its handler; anything unknown gets Google's 404 shape. */
export function routeApi(req: ApiRequest, lister: FileLister, writer: FileWriter): Reply {
  const { method, path } = req;
  if (path === FILES) {
    if (method === 'GET') return lister.list(req);
    if (method === 'POST') return writer.create(req, false);
  }
  if (path === UPLOAD_FILES && method === 'POST') return writer.create(req, true);
  if (path === `${FILES}/generateIds` && method === 'GET') return writer.generateIds(req);
  const fileId = idAfter(path, `${FILES}/`);
  if (fileId !== undefined) {
    if (method === 'GET') return writer.get(req, fileId);
    if (method === 'PATCH') return writer.update(req, fileId, false);
    if (method === 'DELETE') return writer.delete(req, fileId);
  }
  const uploadId = idAfter(path, `${UPLOAD_FILES}/`);
  if (uploadId !== undefined && (method === 'PATCH' || method === 'PUT')) {
    return writer.update(req, uploadId, true);
  }
  return googleError(404, { reason: 'notFound', message: `Not Found: ${method} ${path}` });
}

function idAfter(path: string, prefix: string): string | undefined {
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length);
  return rest !== '' && !rest.includes('/') ? decodeURIComponent(rest) : undefined;
}
