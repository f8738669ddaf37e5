import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/**
 * A real HTTP server on 127.0.0.1 that answers as the test says and records what it got; HTTPS
 * when given TLS options.
 */
export class FakeNode {
  readonly requests: {
    method: string;
    url: string;
    body: string;
    headers: IncomingMessage['headers'];
  }[] = [];
  url = '';
  private server: Server;

  constructor(
    private handler: Handler,
    private readonly tls?: ServerOptions,
  ) {
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        this.requests.push({ method: req.method!, url: req.url!, body, headers: req.headers });
        this.handler(req, body, res);
      });
    };
    this.server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `${this.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  answer(handler: Handler): void {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A port nothing listens on: bound, noted and closed again. */
export async function closedPort(): Promise<string> {
  const node = await new FakeNode(() => undefined).start();
  await node.stop();
  return node.url;
}
