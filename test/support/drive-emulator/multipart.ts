export interface MimePart {
  headers: Record<string, string>;
  body: Buffer;
}

/** The boundary of a `multipart/related; boundary=...` content type, quoted or not. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/related\b/i.test(contentType)) return undefined;
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match ? (match[1] ?? match[2]) : undefined;
}

/**
 * RFC 2046 body parts, kept as bytes: the media part may be binary, so no string round trip.
 * Delimiters count only at a line start, so content that merely contains the boundary text is safe.
 */
export function parseMultipart(body: Buffer, boundary: string): MimePart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const lineDelimiter = Buffer.from(`\r\n--${boundary}`);
  if (!body.subarray(0, delimiter.length).equals(delimiter)) {
    throw new Error('multipart body does not start with the boundary');
  }
  const parts: MimePart[] = [];
  let cursor = delimiter.length;
  for (;;) {
    if (body.subarray(cursor, cursor + 2).toString() === '--') return parts;
    if (body.subarray(cursor, cursor + 2).toString() !== '\r\n') {
      throw new Error('malformed multipart delimiter line');
    }
    const headerStart = cursor + 2;
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    if (headerEnd < 0) throw new Error('multipart part without a header terminator');
    const end = body.indexOf(lineDelimiter, headerEnd);
    if (end < 0) throw new Error('multipart body without a closing boundary');
    parts.push({
      headers: parseHeaders(body.subarray(headerStart, headerEnd).toString('utf8')),
      body: body.subarray(headerEnd + 4, end),
    });
    cursor = end + lineDelimiter.length;
  }
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}
