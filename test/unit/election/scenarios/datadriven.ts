/**
 * The file format of the scenarios, after cockroachdb's datadriven (which etcd's raft uses):
 *
 *     # comments and blank lines are kept as they are
 *     command arg key=value
 *     optional input lines
 *     ----
 *     the output the command is expected to print
 *     (up to the next blank line or the end of the file)
 *
 * A command that prints nothing is expected to print `ok`. Outputs never contain a blank line.
 */

export interface ScenarioCase {
  /** 1-based line of the command in the file. */
  line: number;
  command: string;
  args: string[];
  input: string[];
  expected: string[];
}

type Chunk = { text: string } | { scenarioCase: ScenarioCase };

export interface ScenarioFile {
  chunks: Chunk[];
  /** Whether the file ended with a newline (kept on rewriting). */
  finalNewline: boolean;
}

export const SEPARATOR = '----';

export function parseScenarioFile(text: string): ScenarioFile {
  const finalNewline = text.endsWith('\n');
  const lines = (finalNewline ? text.slice(0, -1) : text).split('\n');
  const chunks: Chunk[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#')) {
      chunks.push({ text: line });
      i++;
      continue;
    }
    const [command, ...args] = line.trim().split(/\s+/);
    const scenarioCase: ScenarioCase = { line: i + 1, command, args, input: [], expected: [] };
    for (i++; i < lines.length && lines[i] !== SEPARATOR; i++) {
      if (lines[i].trim() === '') throw new Error(`line ${scenarioCase.line}: no ${SEPARATOR}`);
      scenarioCase.input.push(lines[i]);
    }
    if (i === lines.length) throw new Error(`line ${scenarioCase.line}: no ${SEPARATOR}`);
    for (i++; i < lines.length && lines[i].trim() !== ''; i++) scenarioCase.expected.push(lines[i]);
    chunks.push({ scenarioCase });
  }
  return { chunks, finalNewline };
}

/** The file again, each case's expected output replaced by what `outputOf` gives for it. */
export function renderScenarioFile(
  file: ScenarioFile,
  outputOf: (c: ScenarioCase) => string[],
): string {
  const lines: string[] = [];
  for (const chunk of file.chunks) {
    if ('text' in chunk) {
      lines.push(chunk.text);
      continue;
    }
    const c = chunk.scenarioCase;
    lines.push([c.command, ...c.args].join(' '), ...c.input, SEPARATOR, ...outputOf(c));
  }
  return lines.join('\n') + (file.finalNewline ? '\n' : '');
}

export function casesOf(file: ScenarioFile): ScenarioCase[] {
  return file.chunks.flatMap((c) => ('scenarioCase' in c ? [c.scenarioCase] : []));
}

/** Positional arguments, and `key=value` options (each key at most once). */
export function splitArgs(args: readonly string[]): {
  positional: string[];
  options: Map<string, string>;
} {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      positional.push(arg);
      continue;
    }
    const key = arg.slice(0, eq);
    if (options.has(key)) throw new Error(`${key}= given twice`);
    options.set(key, arg.slice(eq + 1));
  }
  return { positional, options };
}
