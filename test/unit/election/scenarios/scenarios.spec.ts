import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diff } from 'jest-diff';
import { runScenario } from './run-scenario';

/**
 * Golden scenarios for the consensus core: each testdata/*.txt is a list of commands with the
 * output each is expected to print (README.md beside this file has the format and the commands). A run
 * fails on the first file whose output differs, with the diff; after a deliberate change of
 * behaviour, `REWRITE=1 npx jest test/unit/election/scenarios` rewrites the expected blocks so
 * the change is reviewed as a diff of the .txt files.
 */
const TESTDATA = join(__dirname, 'testdata');
const REWRITE = process.env.REWRITE === '1';
const files = readdirSync(TESTDATA)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('consensus core scenarios (testdata/*.txt)', () => {
  it('finds the scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  it.each(files)('%s', (file) => {
    const path = join(TESTDATA, file);
    const expected = readFileSync(path, 'utf8');
    const { rewritten, violations } = runScenario(expected);
    if (REWRITE) writeFileSync(path, rewritten);
    else if (rewritten !== expected) throw new Error(mismatch(file, expected, rewritten));
    // Checked apart from the text, so a rewrite can never bless a broken safety promise.
    expect(violations).toEqual([]);
  });
});

function mismatch(file: string, expected: string, actual: string): string {
  const shown = diff(expected, actual, {
    aAnnotation: `${file} (expected)`,
    bAnnotation: 'what the core does now',
    expand: false,
    contextLines: 4,
    includeChangeCounts: true,
  });
  return (
    `${file}: the scenario printed something else. If the change of behaviour is meant, ` +
    `run REWRITE=1 npx jest test/unit/election/scenarios and review the .txt diff.\n${shown}`
  );
}
