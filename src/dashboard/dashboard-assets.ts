import { readdirSync, readFileSync } from 'node:fs';
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

/**
 * The dashboard's files, read once at startup from dist/dashboard/public (the HTML and CSS
 * copied by `nest build`, the script compiled from client/ by `npm run build`). Looking a
 * name up in this map, never joining it to a path, is what keeps a request inside the folder.
 */
export function loadAssets(dir = join(__dirname, 'public')): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return assets; // not built: every asset answers 404, the node itself still runs
  }
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: readFileSync(join(dir, name)), type });
  }
  return assets;
}
