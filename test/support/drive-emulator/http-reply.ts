import type { IncomingMessage } from 'node:http';

/** What a handler decided to answer; the dispatcher may still delay it or drop the connection. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export function jsonReply(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
    body: Buffer.from(JSON.stringify(value)),
  };
}

export function rawReply(status: number, body: Buffer, contentType: string): Reply {
  return { status, headers: { 'content-type': contentType }, body };
}

export function emptyReply(status: number): Reply {
  return { status, headers: {}, body: Buffer.alloc(0) };
}

// Uploads in tests are small; the cap only stops a runaway client from eating the heap.
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
