import * as zlib from 'node:zlib';
import { MAX_BODY_BYTES } from '../common/http/error-response';

/**
 * The request body as JSON, with the failures Express's body-parser reports (the same `type`,
 * status and message), so that error responses do not depend on the HTTP platform.
 */
export class BodyError extends Error {
  readonly expose = true;
  readonly statusCode: number;
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.statusCode = status;
  }
}

/** Not strict: a scalar such as "alice" is valid JSON, and validation then says what is wrong. */
export function parseJsonBody(
  body: Buffer,
  contentType: string | undefined,
  contentEncoding: string | undefined,
): unknown {
  const charset = charsetOf(contentType) ?? 'utf-8';
  if (!charset.startsWith('utf-')) {
    throw new BodyError(
      415,
      'charset.unsupported',
      `unsupported charset "${charset.toUpperCase()}"`,
    );
  }
  const raw = decompress(body, (contentEncoding ?? 'identity').toLowerCase());
  let text: string;
  try {
    text = charset === 'utf-8' ? raw.toString('utf8') : new TextDecoder(charset).decode(raw);
  } catch {
    throw new BodyError(
      415,
      'charset.unsupported',
      `unsupported charset "${charset.toUpperCase()}"`,
    );
  }
  // An empty body is a common client mistake; body-parser reads it as {} and so do we.
  if (text.length === 0) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BodyError(400, 'entity.parse.failed', (err as Error).message);
  }
}

type Decompress = (buf: Buffer, opts: zlib.ZlibOptions & zlib.BrotliOptions) => Buffer;
const DECOMPRESSORS: Record<string, Decompress | undefined> = {
  gzip: zlib.gunzipSync,
  deflate: zlib.inflateSync,
  br: zlib.brotliDecompressSync,
  zstd: (zlib as unknown as { zstdDecompressSync?: Decompress }).zstdDecompressSync,
};

/** As body-parser inflates; the size limit holds for the inflated body. */
function decompress(body: Buffer, encoding: string): Buffer {
  if (encoding === 'identity') return body;
  const inflate = Object.hasOwn(DECOMPRESSORS, encoding) ? DECOMPRESSORS[encoding] : undefined;
  if (!inflate) {
    throw new BodyError(415, 'encoding.unsupported', `unsupported content encoding "${encoding}"`);
  }
  try {
    return inflate(body, { maxOutputLength: MAX_BODY_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BodyError(413, 'entity.too.large', 'request entity too large');
    }
    throw new BodyError(400, 'stream.error', (err as Error).message);
  }
}

function charsetOf(contentType: string | undefined): string | undefined {
  const match = contentType ? /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType) : null;
  return match?.[1].toLowerCase();
}
