import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';

/**
 * What a client trusts and shows over HTTPS. There is deliberately no way to turn verification
 * off: a node whose certificate does not chain to `ca` (or the system's CAs when `ca` is not
 * given) or does not name the host in the URL is an error, never silently accepted.
 */
export interface TlsClientOptions {
  /** PEM CA certificate(s) the nodes' certificates must chain to; the system's CAs if unset. */
  ca?: string | Buffer;
  /** PEM client certificate and key, for a cluster that requires them (API_TLS_CA_FILE). */
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** Whether any TLS option is given, so the global fetch (system CAs) will not do. */
export function hasTlsOptions(tls: TlsClientOptions | undefined): tls is TlsClientOptions {
  return tls !== undefined && (tls.ca !== undefined || tls.cert !== undefined);
}

/** Statuses whose answer carries no body, which Response refuses to be given one. */
const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * A `fetch` for https:// URLs that trusts `tls.ca` (and presents `tls.cert`): Node's global
 * fetch takes no CA. Keeps connections alive like fetch does; answers stream, so the SSE
 * stream works through it. http:// URLs go to the global fetch unchanged.
 */
export function tlsFetch(tls: TlsClientOptions): typeof fetch {
  const agent = new Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key });
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== 'https:') return fetch(input, init);
    const body = init.body ?? null;
    // The SDK sends JSON text; anything else is a caller's mistake, said rather than mangled.
    if (body !== null && typeof body !== 'string') {
      throw new TypeError('tlsFetch sends string bodies only');
    }
    const headers = Object.fromEntries(new Headers(init.headers));
    if (body !== null) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        url,
        { method: init.method ?? 'GET', headers, agent, signal: init.signal ?? undefined },
        (res) => {
          const status = res.statusCode ?? 0;
          const stream = NO_BODY.has(status)
            ? null
            : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          if (stream === null) res.resume();
          resolve(new Response(stream, { status, headers: headersOf(res.headers) }));
        },
      );
      // Shaped like fetch's failure, so callers tell a refusal from other faults alike.
      req.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
      req.end(body ?? undefined);
    });
  };
}

function headersOf(given: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
  }
  return out;
}
