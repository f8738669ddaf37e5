import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  // Module scripts are refused by browsers unless served with a JavaScript type.
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const PUBLIC_DIR = join(__dirname, 'public');

/**
 * A dashboard file from dist/dashboard/public, where `nest build` copies the whole of
 * src/dashboard/public (nest-cli.json's assets): the page, its style and its script. Read when
 * asked for, not once at startup, because under `nest start --watch` the copies change while the
 * node runs. Only a name the folder lists is read, which is what keeps a request inside it.
 */
export async function readAsset(name: string): Promise<Asset | undefined> {
  const type = TYPES[extname(name)];
  if (!type) return undefined;
  try {
    if (!(await readdir(PUBLIC_DIR)).includes(name)) return undefined;
    return { body: await readFile(join(PUBLIC_DIR, name)), type };
  } catch {
    return undefined; // not built, or deleted by a rebuild: a 404, and the node still runs
  }
}
