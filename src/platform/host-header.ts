import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

const MESSAGE = 'The request has no Host header, which every HTTP 1.1 request must carry';

/**
 * HTTP/1.1 requires a Host header (RFC 9112, section 3.2), and Node refuses a request without
 * one before either platform sees it: a bare 400 with an empty body. Here that 400 is the JSON
 * error every other refusal is, and the connection still closes as Node's would. Done around
 * the platform's request listener, which both platforms attach when they create the server.
 */
export function refuseHostlessRequests(server: Server): void {
  const platform = server.listeners('request') as RequestListener[];
  if (platform.length === 0) throw new Error('the HTTP platform has no request listener yet');
  // Read per request by Node; the property is not in @types/node's Server.
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.httpVersion === '1.1' && req.headers.host === undefined) return refuse(res);
    for (const listener of platform) listener.call(server, req, res);
  });
}

function refuse(res: ServerResponse): void {
  const body = JSON.stringify({ success: false, message: MESSAGE });
  res.writeHead(400, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}
