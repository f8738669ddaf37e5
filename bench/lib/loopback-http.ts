import { Agent, request } from 'node:http';

/** Benches only ever talk to this host. */
export const LOOPBACK = '127.0.0.1';

/** One keep-alive agent: a poll loop reuses its connection instead of opening one per request. */
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * One HTTP request to 127.0.0.1:`port`. Rejects on a network error or after `timeoutMs`; any
 * status (403, 503, ...) resolves. `via` replaces the shared keep-alive agent, e.g. one sized
 * for a load's clients.
 */
export function loopbackRequest(
  port: number,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs: number,
  body?: string | Buffer,
  via: Agent = agent,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: LOOPBACK,
        port,
        method,
        path,
        agent: via,
        headers:
          body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Parses a JSON body, or returns null. */
export function jsonOf(answer: HttpAnswer): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(answer.body);
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function closeConnections(): void {
  agent.destroy();
}
