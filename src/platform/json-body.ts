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
export function parseJsonBody(raw: Buffer, contentType: string | undefined): unknown {
  const charset = charsetOf(contentType) ?? 'utf-8';
  if (!charset.startsWith('utf-')) {
    throw new BodyError(
      415,
      'charset.unsupported',
      `unsupported charset "${charset.toUpperCase()}"`,
    );
  }
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

function charsetOf(contentType: string | undefined): string | undefined {
  const match = contentType ? /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType) : null;
  return match?.[1].toLowerCase();
}
