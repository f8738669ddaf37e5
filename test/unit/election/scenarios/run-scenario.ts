import { casesOf, parseScenarioFile, renderScenarioFile, type ScenarioCase } from './datadriven';
import { runCommand } from './scenario-commands';
import { ScenarioEnv } from './scenario-env';

export interface ScenarioRun {
  /** The file with every expected block replaced by what the commands printed. */
  rewritten: string;
  /** Broken safety promises the SafetyRecorder saw (two leaders in a term, two leases...). */
  violations: string[];
}

/** Runs every command of a scenario file in order, in one fresh ScenarioEnv. */
export function runScenario(text: string): ScenarioRun {
  const file = parseScenarioFile(text);
  const env = new ScenarioEnv();
  const outputs = new Map<ScenarioCase, string[]>();
  for (const c of casesOf(file)) {
    try {
      outputs.set(c, runCommand(env, c));
    } catch (error) {
      const what = error instanceof Error ? error.message : String(error);
      throw new Error(`line ${c.line}: ${c.command}: ${what}`, { cause: error });
    }
  }
  return {
    rewritten: renderScenarioFile(file, (c) => outputs.get(c)!),
    violations: env.safety.violations,
  };
}
