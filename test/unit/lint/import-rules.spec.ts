import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The import rules `npm run lint` enforces (.dependency-cruiser.cjs), run by dependency-cruiser's
 * own CLI on small trees under test/fixtures/import-rules/, so the check itself is tested: it
 * must fail on a deliberate folder cycle and on a reach into election's internals, and pass a
 * tree that has neither.
 */
const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function depcruise(fixture: string, outputType: 'err' | 'json') {
  const run = spawnSync(process.execPath, [CLI, 'src', '--config', CONFIG, '-T', outputType], {
    cwd: join(ROOT, 'test', 'fixtures', 'import-rules', fixture),
    encoding: 'utf8',
  });
  if (run.error) throw run.error;
  return run;
}

/**
 * The exit code comes from the `err` output `npm run lint` prints (the json reporter always
 * exits 0); the violations from the json output.
 */
function cruise(fixture: string): { exitCode: number | null; violations: Violation[] } {
  const exitCode = depcruise(fixture, 'err').status;
  const result = JSON.parse(depcruise(fixture, 'json').stdout) as {
    summary: { violations: Violation[] };
  };
  return { exitCode, violations: result.summary.violations };
}

describe('the import rules of npm run lint', () => {
  it('pass a tree whose folders depend on each other one way', () => {
    expect(cruise('clean')).toEqual({ exitCode: 0, violations: [] });
  });

  it('fail on a cycle between two folders, though no file imports itself', () => {
    const { exitCode, violations } = cruise('folder-cycle');
    expect(exitCode).not.toBe(0);
    expect(violations.map((v) => v.rule.name)).toEqual(['no-folder-cycles', 'no-folder-cycles']);
    expect(violations.map((v) => `${v.from} -> ${v.to}`).sort()).toEqual([
      'src/clients -> src/common',
      'src/common -> src/clients',
    ]);
  });

  it('fail on a file outside election/ that imports the consensus core past its index.ts', () => {
    const { exitCode, violations } = cruise('reach-in');
    expect(exitCode).not.toBe(0);
    expect(violations).toEqual([
      expect.objectContaining({
        rule: expect.objectContaining({ name: 'no-reaching-into-election-internals' }),
        from: 'src/clients/reaching-in.ts',
        to: 'src/election/consensus/raft-log.ts',
      }),
    ]);
  });
});
