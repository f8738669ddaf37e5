import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DocProcedure,
  envOf,
  exampleMachines,
  flagOf,
  OPERATIONS_MD,
} from '../../support/doc-procedure';

/**
 * docs/operations.md's numbered procedures (backups, members) are what the e2e tests run,
 * read from the page by DocProcedure. This keeps the two in step: every procedure of those
 * sections is followed by some e2e spec (a new one on the page must be tested): the spec reads
 * it into a name, checks through that name that it took every step, and skips no test; lines
 * that are comments do not count. The reader itself takes the steps and commands apart as the
 * page writes them.
 */
const E2E = join(__dirname, '..', '..', 'e2e');
const SECTIONS = ['## Backup and restore', '## Changing the members'];

function proceduresOnThePage(): string[] {
  const headings: string[] = [];
  let inSection = false;
  for (const line of readFileSync(OPERATIONS_MD, 'utf8').split('\n')) {
    if (line.startsWith('## ')) inSection = SECTIONS.includes(line);
    else if (inSection && line.startsWith('### ')) headings.push(line.slice(4));
  }
  return headings;
}

/** A spec's source without its comment lines (`//`, and `/*`, `*` of block comments). */
function withoutCommentLines(source: string): string {
  return source
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
    .join('\n');
}

/**
 * Whether `code` follows the procedure: it reads it into a name
 * (`const grow = DocProcedure.read('Grow 3 -> 5')`) and expects that name's stepsNotTaken() to
 * be empty, and it skips no test (a skipped test would take no step and check nothing).
 */
function followsEveryStep(code: string, heading: string): boolean {
  const read = `DocProcedure.read(${JSON.stringify(heading).replace(/"/g, "'")})`;
  const escaped = read.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const name = new RegExp(`const (\\w+) = ${escaped}`).exec(code)?.[1];
  const skips = /\b(it|test|describe)\.(skip|todo)\b|\bx(it|test|describe)\(/.test(code);
  return (
    name !== undefined && !skips && code.includes(`expect(${name}.stepsNotTaken()).toEqual([]);`)
  );
}

describe('the procedures of docs/operations.md', () => {
  const specs = readdirSync(E2E)
    .filter((f) => f.endsWith('.e2e-spec.ts'))
    .map((f) => withoutCommentLines(readFileSync(join(E2E, f), 'utf8')));

  it.each(proceduresOnThePage())('"%s" is followed step by step by an e2e spec', (heading) => {
    expect(DocProcedure.read(heading).stepsNotTaken().length).toBeGreaterThan(0);
    expect(specs.some((spec) => followsEveryStep(spec, heading))).toBe(true);
  });

  it('finds the procedures', () => {
    expect(proceduresOnThePage()).toEqual(
      expect.arrayContaining([
        'Back up',
        'Restore after a disaster',
        'Grow 3 -> 5',
        'Replace a dead machine',
        'Retire a node (shrink 5 -> 3)',
      ]),
    );
  });

  it('counts a spec that reads a procedure as following it only if it checks every step was taken', () => {
    const follows = (...lines: string[]) =>
      followsEveryStep(withoutCommentLines(lines.join('\n')), 'Retire a node (shrink 5 -> 3)');
    const read = "  const retire = DocProcedure.read('Retire a node (shrink 5 -> 3)');";
    const check = '    expect(retire.stepsNotTaken()).toEqual([]);';
    expect(follows(read, "  it('retires', () => {", check, '  });')).toBe(true);
    expect(follows(read, "  it('retires', () => {", '  });')).toBe(false);
    expect(follows(read, "  it('retires', () => {", `    // ${check.trim()}`, '  });')).toBe(false);
    expect(follows(`  // ${read.trim()}`, check)).toBe(false);
    expect(follows(read, "  it.skip('retires', () => {", check, '  });')).toBe(false);
    expect(follows(read, "  xit('retires', () => {", check, '  });')).toBe(false);
    expect(
      follows(
        read,
        "  const other = DocProcedure.read('Back up');",
        'expect(other.stepsNotTaken()).toEqual([]);',
      ),
    ).toBe(false);
  });
});

describe('DocProcedure', () => {
  const page = [
    '### Elsewhere',
    '1. Not this one:',
    '   ```bash',
    '   npm exec -- rollcall status',
    '   ```',
    '### Try it',
    'Some prose with `npm exec -- rollcall status` inline: not a command.',
    '1. First:',
    '',
    '   ```bash',
    '   # a comment line',
    '   npm exec -- rollcall members add 127.0.0.1:8083 --api-url http://127.0.0.1:3003',
    '   ```',
    '',
    '2. Then start it:',
    '   ```bash',
    '   ADMIN_TOKEN=... DATA_DIR=data/127.0.0.1-8083 node dist/main.js \\',
    '     --this-node 127.0.0.1:8083 --join http://127.0.0.1:3000   # any member',
    '   ```',
    '3. No command here.',
    '## Next section',
    '4. Not a step of "Try it".',
  ].join('\n');
  const sub = exampleMachines((i) => ({
    node: `10.0.0.1:${9000 + i}`,
    api: `http://10.0.0.1:${7000 + i}`,
    dataDir: `/d/${i}`,
  }));

  it('takes each step of its section, substituted, and says which it did not take', () => {
    const p = DocProcedure.read('Try it', page);
    expect(p.stepsNotTaken()).toEqual([1, 2, 3]);
    expect(p.rollcall(1, sub)).toEqual([
      ['members', 'add', '10.0.0.1:9003', '--api-url', 'http://10.0.0.1:7003'],
    ]);
    const start = p.command(2, 'node', sub);
    expect(envOf(start)).toEqual({ ADMIN_TOKEN: '...', DATA_DIR: '/d/3' });
    expect(flagOf(start, '--this-node')).toBe('10.0.0.1:9003');
    expect(flagOf(start, '--join')).toBe('http://10.0.0.1:7000');
    expect(p.stepsNotTaken()).toEqual([3]);
    expect(p.step(3, sub)).toEqual([]);
    expect(p.stepsNotTaken()).toEqual([]);
  });

  it('fails loudly on a step or section the page does not have', () => {
    const p = DocProcedure.read('Try it', page);
    expect(() => p.step(4, sub)).toThrow('"Try it" has no step 4');
    expect(() => p.rollcall(2, sub)).toThrow('step 2 of "Try it" runs no rollcall');
    expect(() => DocProcedure.read('Missing', page)).toThrow('has no "### Missing"');
  });
});
