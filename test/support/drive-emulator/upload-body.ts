import type { ApiRequest } from './api-context';
import { DriveApiError, googleError, invalidParameter } from './google-errors';
import { boundaryOf, parseMultipart } from './multipart';

/** What an upload or metadata request asks to store: optional metadata, optional new content. */
export interface WriteBody {
  metadata: Record<string, unknown>;
  content?: Buffer;
  contentType?: string;
}

function badContent(message: string): DriveApiError {
  return new DriveApiError(googleError(400, { reason: 'badContent', message }));
}

function parseMetadata(raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw badContent('Metadata is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badContent('Metadata must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** Reads the body of `/upload/drive/v3/...` (by uploadType) or of a plain metadata request. */
export function readWriteBody(req: ApiRequest, isUpload: boolean): WriteBody {
  if (!isUpload) return { metadata: parseMetadata(req.body) };
  const uploadType = req.query.get('uploadType');
  if (uploadType === 'media') {
    return { metadata: {}, content: req.body, contentType: req.contentType };
  }
  if (uploadType === 'multipart') {
    const boundary = boundaryOf(req.contentType);
    if (!boundary) throw badContent('Content-Type must be multipart/related with a boundary.');
    let parts;
    try {
      parts = parseMultipart(req.body, boundary);
    } catch (err) {
      throw badContent(`Malformed multipart body: ${(err as Error).message}`);
    }
    if (parts.length !== 2) throw badContent(`Expected 2 multipart parts, got ${parts.length}.`);
    return {
      metadata: parseMetadata(parts[0].body),
      content: Buffer.from(parts[1].body),
      contentType: parts[1].headers['content-type'],
    };
  }
  throw new DriveApiError(
    invalidParameter('uploadType', `emulator supports media and multipart, got '${uploadType}'`),
  );
}
