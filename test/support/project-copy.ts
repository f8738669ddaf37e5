import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './node-process';

/** The Nest CLI's own script, run with this Node as `npx nest` would. */
export const NEST_CLI = join(PACKAGE_ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js');

/** What `nest build` and `nest start` read: the sources and the files that say how to build them. */
const BUILD_INPUTS = [
  'src',
  'nest-cli.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
];

/**
 * The project as the Nest CLI sees it, copied into `dir` with node_modules linked: there a spec
 * can run `nest start` as a user would, while the package's own dist/, which `nest start` would
 * delete and rewrite, stays as the other specs (and any cluster running from it) need it.
 */
export function copyProjectForNest(dir: string): void {
  for (const name of BUILD_INPUTS) {
    cpSync(join(PACKAGE_ROOT, name), join(dir, name), { recursive: true });
  }
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
}
