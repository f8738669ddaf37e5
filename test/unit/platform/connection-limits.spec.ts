import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { answerClientError } from '../../../src/platform/client-error';
import { limitConnections } from '../../../src/platform/connection-limits';

/**
 * The header and request deadlines as limitConnections sets them, enforced by Node's sweep and
 * answered by the platforms' clientError handler. The node's own deadlines are 10 s and 30 s
 * (test/e2e/http-limits.e2e-spec.ts checks that both platforms get them); here they are short,
 * and so is the sweep, so a trickling sender is cut in well under a second.
 */
describe('limitConnections: header and request deadlines', () => {
  const servers: Server[] = [];
  const timers: NodeJS.Timeout[] = [];

  afterEach(async () => {
    for (const t of timers.splice(0)) clearInterval(t);
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  /** A server with these deadlines and an idle limit that never fires first: a trickler is never idle. */
  async function serve(headersTimeoutMs: number, requestTimeoutMs: number): Promise<number> {
    // Answers once the whole body is in, as the platforms' body parsers do.
    const server = createServer({ connectionsCheckingInterval: 50 }, (req, res) => {
      req.resume().on('end', () => res.end('{}'));
    });
    servers.push(server);
    server.on('clientError', answerClientError);
    limitConnections(server, {
      maxPerAddress: 16,
      idleTimeoutMs: 60_000,
      headersTimeoutMs,
      requestTimeoutMs,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  /** Writes `head`, then one byte of `drip` every 50 ms; resolves with all the server answered. */
  const trickle = (port: number, head: string, drip: string) =>
    new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(head));
      let got = '';
      const timer = setInterval(() => socket.write(drip), 50);
      timers.push(timer);
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve(got);
      });
    });

  const expectTimeoutAnswer = (answer: string) => {
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      success: false,
      message: 'The request was not received in time',
    });
  };

  it('cuts a sender whose headers never end, by the header deadline, with a JSON 408', async () => {
    // The request deadline is far off: only the header deadline can end this in time.
    const port = await serve(300, 60_000);
    expectTimeoutAnswer(await trickle(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 'a'));
  });

  it('cuts a sender whose body never ends, by the request deadline, with a JSON 408', async () => {
    const port = await serve(300, 600);
    const head = 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n';
    expectTimeoutAnswer(await trickle(port, head, 'a'));
  });
});
