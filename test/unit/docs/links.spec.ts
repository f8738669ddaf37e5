import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The README and docs/ point at each other and at files of the repository; a page renamed, a
 * heading reworded or a file moved by a refactor breaks a link silently. This reads every
 * Markdown page of the two and checks each relative link: its file exists inside the
 * repository, and its #anchor is a heading of that page (GitHub's anchors). Links to other
 * sites are not followed: the test stays offline and fast.
 */
const ROOT = join(__dirname, '../../..');
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
/** A table row this long cannot be read on a screen; say it in prose or a list instead. */
const MAX_TABLE_ROW = 500;

/** The page without fenced code blocks and inline code, where brackets are not links. */
function proseOf(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    const opener = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === null && opener) fence = opener;
    else if (fence !== null && line.trim().startsWith(fence)) fence = null;
    else if (fence === null) lines.push(line.replace(/`[^`]*`/g, ''));
  }
  return lines;
}

/** GitHub's anchor for each heading: lower case, punctuation dropped, spaces as '-', -n for repeats. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseOf(markdown.replace(/`([^`]*)`/g, '$1'))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Every link and image target of the page that is not on another site. */
function localTargetsOf(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseOf(markdown)) {
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(m[1])) targets.push(m[1]);
    }
  }
  return targets;
}

/** What is wrong with one link from `page`, or null. */
function problemOf(page: string, target: string): string | null {
  const [path, anchor] = target.split('#', 2);
  const file = path === '' ? join(ROOT, page) : resolve(ROOT, dirname(page), decodeURI(path));
  if (relative(ROOT, file).startsWith('..')) return 'points outside the repository';
  if (!existsSync(file)) return 'no such file';
  if (anchor === undefined || !file.endsWith('.md')) return null;
  return anchorsOf(readFileSync(file, 'utf8')).has(anchor) ? null : `no heading #${anchor}`;
}

describe('the README and docs/', () => {
  it.each(PAGES)(
    '%s: every relative link reaches a file of the repository and its heading',
    (page) => {
      const markdown = readFileSync(join(ROOT, page), 'utf8');
      const targets = localTargetsOf(markdown);
      const broken = targets
        .map((target) => ({ target, problem: problemOf(page, target) }))
        .filter((link) => link.problem !== null);
      expect(broken).toEqual([]);
    },
  );

  it.each(PAGES)(`%s: no table row is ${MAX_TABLE_ROW} characters or longer`, (page) => {
    const long = readFileSync(join(ROOT, page), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('|') && line.length >= MAX_TABLE_ROW)
      .map((line) => line.slice(0, 60));
    expect(long).toEqual([]);
  });

  it('reads links, anchors and code the way GitHub does', () => {
    const page = '# Run it\n## `GET /cluster` (any node)\n## Run it\n```\n[x](nowhere.md)\n```\n';
    expect([...anchorsOf(page)]).toEqual(['run-it', 'get-cluster-any-node', 'run-it-1']);
    expect(localTargetsOf(`${page}[a](b.md#c) ![i](d.png) [w](https://e.org) \`[x](y)\``)).toEqual([
      'b.md#c',
      'd.png',
    ]);
  });
});
