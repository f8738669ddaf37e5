import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_SCHEMA } from '../../../src/config/config-schema';
import { DERIVED, settingsIn } from '../../../src/config/setting';

/**
 * The configuration tables are the operator's reference and CONFIG_SCHEMA is what the node reads:
 * a key added to one and not the other, or a default changed in one, fails here. The tables are
 * docs/configuration.md's: "Key" (config.toml) and "Variable" (environment only).
 */
const DOC = join(__dirname, '../../../docs/configuration.md');

interface Row {
  names: string[];
  shownDefault: string;
  line: string;
}

/** The rows of each table in the page, by the title of the table's first column. */
function tablesOf(markdown: string): Map<string, Row[]> {
  const tables = new Map<string, Row[]>();
  let rows: Row[] | null = null;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      rows = null;
      continue;
    }
    const cells = line.split('|').map((c) => c.trim());
    if (rows === null) {
      // A second table under the same title would hide the first one's rows from the checks.
      if (tables.has(cells[1])) throw new Error(`two tables titled "${cells[1]}" in ${DOC}`);
      tables.set(cells[1], (rows = []));
    } else if (!/^-+$/.test(cells[1])) {
      const names = [...cells[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      rows.push({ names, shownDefault: cells[2].replace(/`/g, ''), line });
    }
  }
  return tables;
}

const tables = tablesOf(readFileSync(DOC, 'utf8'));
const settings = settingsIn(CONFIG_SCHEMA);
const rowsOf = (title: string): Row[] => tables.get(title) ?? [];
const namesIn = (rows: Row[]): string[] => rows.flatMap((r) => r.names).sort();

describe('the configuration tables and CONFIG_SCHEMA', () => {
  it('list the same config.toml keys', () => {
    const declared = settings.filter((s) => s.inFile).flatMap((s) => s.names);
    expect(namesIn(rowsOf('Key'))).toEqual([...declared].sort());
  });

  it('list the same environment-only variables', () => {
    const declared = settings.filter((s) => !s.inFile).flatMap((s) => s.names);
    expect(namesIn(rowsOf('Variable'))).toEqual([...declared].sort());
  });

  it('mention each alias in the row of the variable it stands in for', () => {
    const rows = [...rowsOf('Key'), ...rowsOf('Variable')];
    const aliased = settings.filter((s) => s.aliases.length > 0);
    expect(aliased.length).toBeGreaterThan(0);
    for (const s of aliased) {
      const row = rows.find((r) => r.names.includes(s.names[0]));
      for (const alias of s.aliases) expect(row?.line).toContain(`\`${alias}\``);
    }
  });

  it('show the same defaults', () => {
    const rows = [...rowsOf('Key'), ...rowsOf('Variable')];
    const shown = (name: string) => rows.find((r) => r.names.includes(name))?.shownDefault;
    for (const s of settings) {
      for (const name of s.names) {
        const documented = shown(name);
        if (s.shownDefault === DERIVED) {
          expect({ name, documented }).not.toEqual({ name, documented: '-' });
        } else {
          expect({ name, documented }).toEqual({ name, documented: s.shownDefault });
        }
      }
    }
  });
});
