import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  RequestListener,
  Server,
  ServerResponse,
} from 'node:http';
import { performance } from 'node:perf_hooks';
import type { INestApplication } from '@nestjs/common';
import { HeartbeatEndpoint, type EndpointAnswer } from '../clients/heartbeat-endpoint';
import { answerError } from '../common/http/json-error.filter';
import { MAX_BODY_BYTES } from '../common/http/error-response';
import { HttpMetrics } from '../metrics/http-metrics';
import { parseJsonBody } from './json-body';
import { TurnEndWrites } from './turn-end-writes';

const HEARTBEAT_URL = '/heartbeat';
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Serves the plain `POST /heartbeat` (JSON with a Content-Length, nothing else to undo) from
 * the HTTP server's request listener, before Fastify makes its request and reply objects, runs
 * its router, content-type parser and hooks: on the 2-core bench that machinery cost more per
 * heartbeat than the heartbeat's own work (docs/BENCHMARKS.md). The answer comes from the same
 * code as every other way in (HeartbeatEndpoint: admission, body check, ClientsService, the
 * JSON error filter's answer; parseJsonBody for the body), in Fastify's header order and
 * serialization, and the request is counted in the same metric. Anything unusual (another URL
 * spelling, a query, no or another Content-Type, a compressed or chunked body, too big a
 * body, a server that is closing) goes on to the platform, which answers it as it always did.
 *
 * Fastify only: on Express the Nest route serves every heartbeat. Done around the platform's
 * listener, as refuseHostlessRequests is, and before it, so the Host rule still comes first.
 */
export function serveHeartbeatsOnTheServer(server: Server, app: INestApplication): void {
  const platform = server.listeners('request') as RequestListener[];
  if (platform.length === 0) throw new Error('the HTTP platform has no request listener yet');
  const endpoint = app.get(HeartbeatEndpoint, { strict: false });
  const metrics = app.get(HttpMetrics, { strict: false });
  const writes = new TurnEndWrites();
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (isPlainHeartbeat(req) && server.listening) return take(req, res);
    for (const listener of platform) listener.call(server, req, res);
  });

  function take(req: IncomingMessage, res: ServerResponse): void {
    const arrived = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void answerOf(req.headers, chunks)
        .catch(errorAnswer)
        .then((out) => {
          // A round's answers already leave together; the rest wait for the end of the turn.
          if (out.afterRound) write(res, out, arrived);
          else writes.add(() => write(res, out, arrived));
        });
    });
  }

  function write(res: ServerResponse, out: EndpointAnswer, arrived: number): void {
    const status = answer(res, out);
    metrics.observe(HEARTBEAT_URL, status, (performance.now() - arrived) / 1000);
  }

  async function answerOf(headers: IncomingHttpHeaders, chunks: Buffer[]): Promise<EndpointAnswer> {
    let body: unknown;
    try {
      const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      body = parseJsonBody(raw, headers['content-type'], undefined);
    } catch (err) {
      // As Fastify after a body it could not parse: the client may send more, so it closes.
      const out = errorAnswer(err);
      return { ...out, headers: [['connection', 'close'], ...out.headers] };
    }
    return endpoint.answer(body, headers.authorization);
  }
}

function errorAnswer(err: unknown): EndpointAnswer {
  const out = answerError(err);
  return { status: out.status, body: out.body, headers: Object.entries(out.headers ?? {}) };
}

/** The request the server takes itself; everything else is the platform's. */
function isPlainHeartbeat(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || req.url !== HEARTBEAT_URL) return false;
  const h = req.headers;
  const length = h['content-length'];
  return (
    h['content-type']?.toLowerCase().startsWith('application/json') === true &&
    length !== undefined &&
    Number(length) <= MAX_BODY_BYTES &&
    h['transfer-encoding'] === undefined &&
    h['content-encoding'] === undefined
  );
}

/**
 * Writes the answer and returns its status; one that cannot be written (a header value Node refuses) becomes the 500
 * every unexpected failure is, rather than a rejection nobody handles, which would stop the node.
 */
function answer(res: ServerResponse, out: EndpointAnswer): number {
  try {
    send(res, out);
    return out.status;
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return out.status;
    }
    const failed = errorAnswer(err);
    send(res, failed);
    return failed.status;
  }
}

/** As Fastify writes a JSON reply: the route's headers (names in lower case), then its own. */
function send(res: ServerResponse, out: EndpointAnswer): void {
  const text = JSON.stringify(out.body);
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of out.headers) headers[name.toLowerCase()] = value;
  headers['content-type'] = JSON_TYPE;
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(out.status, headers);
  res.end(text);
}
