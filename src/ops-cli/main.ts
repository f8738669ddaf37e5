#!/usr/bin/env node
/**
 * `rollcall`, the operator's command line (package.json "bin"; docs/cli.md). Not to be confused
 * with src/cli.ts, which parses a node's own --config and --this-node.
 */
import { run } from './program';

run(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
}).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    process.stderr.write(`rollcall: ${err.message}\n`);
    process.exitCode = 1;
  },
);
