import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Benches only ever talk to this host. */
export const LOOPBACK = '127.0.0.1';

/** One keep-alive agent: a poll loop reuses its connection instead of opening one per request. */
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/**
 * A keep-alive agent for `maxSockets` clients: HTTPS trusting only `ca` when one is given (a
 * bench cluster with API TLS), plain HTTP otherwise. loopbackRequest speaks whichever it is.
 */
export function keepAliveAgent(maxSockets: number, ca: Buffer | null = null): Agent {
  return ca
    ? new HttpsAgent({ keepAlive: true, maxSockets, ca })
    : new Agent({ keepAlive: true, maxSockets });
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * One HTTP request to 127.0.0.1:`port`. Rejects on a network error or after `timeoutMs`; any
 * status (403, 503, ...) resolves. `via` replaces the shared keep-alive agent, e.g. one sized
 * for a load's clients, or an HTTPS one from keepAliveAgent.
 */
export function loopbackRequest(
  port: number,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs: number,
  body?: string | Buffer,
  via: Agent = agent,
): Promise<HttpAnswer> {
  const send = via instanceof HttpsAgent ? httpsRequest : request;
  return new Promise((resolve, reject) => {
    const req = send(
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
