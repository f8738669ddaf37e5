import { killAllNow } from './children';
import { closeConnections } from './loopback-http';

/**
 * Runs a bench's main and exits with its code, leaving no child process or kept-alive socket
 * behind whether it finished or threw.
 */
export function runBench(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      closeConnections();
      killAllNow();
      process.exit(code);
    },
    (err: Error) => {
      process.stderr.write(`${name} bench: ${err.message}\n`);
      killAllNow();
      process.exit(1);
    },
  );
}
