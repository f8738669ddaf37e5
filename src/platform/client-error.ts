import type { Duplex } from 'node:stream';

/**
 * What a client gets when its bytes are not HTTP at all (a bad request line, a body with no
 * length, oversized headers): the same JSON error as every other refusal, rather than the
 * server's bare 400, then the connection closes since nothing after the bad bytes can be read.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset peer or a socket already gone: nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'Request headers are larger than the limit']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request was not received in time']
        : [400, 'Bad Request', `Malformed HTTP request (${err.code ?? 'parse error'})`];
  const body = JSON.stringify({ success: false, message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
