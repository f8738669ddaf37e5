import { DriveApiError, fileNotFound } from './google-errors';
import type { FieldSelection } from './file-resource';
import { parseFields } from './file-resource';
import type { DriveItem, DriveStore } from './store';

/** One authenticated Drive API request, already read off the socket. */
export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: Buffer;
}

export function flag(query: URLSearchParams, name: string): boolean {
  return query.get(name) === 'true';
}

export function fieldsOf(query: URLSearchParams): FieldSelection | undefined {
  const fields = query.get('fields');
  return fields === null || fields.trim() === '' ? undefined : parseFields(fields);
}

/**
 * Every emulated item lives in a shared drive, and Drive pretends such items do not exist
 * for a caller that has not declared `supportsAllDrives=true`.
 */
export function visibleItem(store: DriveStore, req: ApiRequest, id: string): DriveItem {
  const item = store.get(id);
  if (!item || !flag(req.query, 'supportsAllDrives')) throw new DriveApiError(fileNotFound(id));
  return item;
}
