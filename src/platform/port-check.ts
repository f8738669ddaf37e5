import { createServer } from 'node:net';

/** Resolves to an error code (EADDRINUSE, EACCES, ...) if the port cannot be bound, else null. */
export function probePort(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
