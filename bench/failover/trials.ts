import { now, sleep } from '../lib/time';
import type { FailoverSystem } from './system';

export interface SeriesPlan {
  /** Key in the report, e.g. "rollcall-sigkill". */
  id: string;
  label: string;
  /** SIGSTOP freezes the leader (no FIN, no RST: a silent host); it is SIGKILLed after the trial. */
  signal: 'SIGKILL' | 'SIGTERM' | 'SIGSTOP';
  trials: number;
  /** Quiet time with a healthy cluster before each kill. */
  settleMs: number;
  /** A trial with no new leader by then is a failure. */
  trialTimeoutMs: number;
  /** Spacing between two probes of the same survivor. */
  pollSpacingMs: number;
}

export interface Trial {
  trial: number;
  ok: boolean;
  /** From sending the signal to the first 200 on a leader-only request from a survivor. */
  ms: number | null;
  killed: string;
  newLeader: string | null;
  /** Probes sent to the survivors during the trial. */
  probes: number;
  /** How the killed process ended, and how long after the signal. */
  exit: { code: number | null; signal: string | null; afterMs: number } | null;
  error?: string;
  tails?: Record<string, string[]>;
  /** What each member printed from the signal until the cluster was whole again (if anything). */
  logs?: Record<string, string[]>;
}

export interface SeriesResult {
  id: string;
  label: string;
  system: string;
  signal: string;
  trialsPlanned: number;
  trials: Trial[];
  /** Set when the series stopped early (the cluster could not be brought back). */
  aborted?: string;
  durationMs: number;
}

const HEALTHY_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 10_000;
const LOG_LINES_PER_TRIAL = 20;

/**
 * Sends `signal` to the leader, then probes every survivor every `pollSpacingMs` until one serves
 * a leader-only request. Resolves with the winner and the time, or null at `deadline`.
 */
async function raceSurvivors(
  sys: FailoverSystem,
  survivors: number[],
  t0: number,
  deadline: number,
  spacingMs: number,
): Promise<{ winner: number; ms: number; probes: number } | { winner: null; probes: number }> {
  let winner: { i: number; at: number } | null = null;
  let probes = 0;
  const maxProbesEach = Math.ceil((deadline - t0) / Math.max(1, spacingMs)) + 100;
  const loop = async (i: number) => {
    for (let k = 0; k < maxProbesEach && winner === null && now() < deadline; k++) {
      probes++;
      const ok = await sys.servesAsLeader(i);
      const at = now();
      if (ok) {
        if (winner === null) winner = { i, at };
        return;
      }
      await sleep(spacingMs);
    }
  };
  await Promise.all(survivors.map(loop));
  const w = winner as { i: number; at: number } | null;
  return w ? { winner: w.i, ms: w.at - t0, probes } : { winner: null, probes };
}

export async function runSeries(
  sys: FailoverSystem,
  plan: SeriesPlan,
  log: (line: string) => void,
): Promise<SeriesResult> {
  const started = now();
  const result: SeriesResult = {
    id: plan.id,
    label: plan.label,
    system: sys.kind,
    signal: plan.signal,
    trialsPlanned: plan.trials,
    trials: [],
    durationMs: 0,
  };
  const allTails = () =>
    Object.fromEntries(
      Array.from({ length: sys.size }, (_, i) => [sys.memberName(i), sys.tail(i).slice(-10)]),
    );

  try {
    await sys.start();
  } catch (err) {
    result.aborted = `cluster did not start: ${(err as Error).message}`;
    log(`  ${plan.label}: ${result.aborted}`);
    await sys.stop();
    result.durationMs = now() - started;
    return result;
  }

  try {
    for (let t = 1; t <= plan.trials; t++) {
      let leader: number;
      try {
        await sys.waitHealthy(HEALTHY_TIMEOUT_MS);
        await sleep(plan.settleMs);
        leader = await sys.waitHealthy(HEALTHY_TIMEOUT_MS);
      } catch (err) {
        result.aborted = `before trial ${t}: ${(err as Error).message}`;
        log(`  ${plan.label}: aborted ${result.aborted}`);
        break;
      }
      const survivors = Array.from({ length: sys.size }, (_, i) => i).filter((i) => i !== leader);
      const trial: Trial = {
        trial: t,
        ok: false,
        ms: null,
        killed: sys.memberName(leader),
        newLeader: null,
        probes: 0,
        exit: null,
      };
      const marks = Array.from({ length: sys.size }, (_, i) => sys.lineMark(i));
      try {
        await sys.beforeSignal?.(leader, t);
      } catch (err) {
        result.aborted = `before signalling in trial ${t}: ${(err as Error).message}`;
        log(`  ${plan.label}: aborted ${result.aborted}`);
        break;
      }
      const t0 = now();
      sys.signal(leader, plan.signal);
      const watchExit = () =>
        sys
          .waitExit(leader, EXIT_TIMEOUT_MS)
          .then((e) => ({ ...e, afterMs: Math.round(now() - t0) }));
      // A frozen leader never exits on its own: it is killed once the trial is over.
      const exitWatch = plan.signal === 'SIGSTOP' ? null : watchExit();
      const race = await raceSurvivors(
        sys,
        survivors,
        t0,
        t0 + plan.trialTimeoutMs,
        plan.pollSpacingMs,
      );
      trial.probes = race.probes;
      if (race.winner !== null) {
        trial.ok = true;
        trial.ms = Math.round(race.ms * 10) / 10;
        trial.newLeader = sys.memberName(race.winner);
      } else {
        trial.error = `no survivor served a leader-only request within ${plan.trialTimeoutMs} ms`;
        trial.tails = allTails();
      }
      if (plan.signal === 'SIGSTOP') sys.signal(leader, 'SIGKILL');
      trial.exit = await (exitWatch ?? watchExit());
      result.trials.push(trial);
      log(
        `  ${plan.label} ${String(t).padStart(2)}/${plan.trials}: ` +
          (trial.ok
            ? `${trial.ms?.toFixed(1)} ms (${trial.killed} -> ${trial.newLeader})`
            : `FAILED: ${trial.error}`),
      );
      // The killed member's lines before its exit; a restarted process counts from zero.
      const printed = (i: number) => sys.linesSince(i, marks[i]).slice(-LOG_LINES_PER_TRIAL);
      const logs = Object.fromEntries(
        Array.from({ length: sys.size }, (_, i) => [sys.memberName(i), printed(i)]).filter(
          ([, lines]) => lines.length > 0,
        ),
      );
      if (Object.keys(logs).length > 0) trial.logs = logs;
      try {
        await sys.restart(leader);
      } catch (err) {
        result.aborted = `restarting ${sys.memberName(leader)} after trial ${t}: ${(err as Error).message}`;
        log(`  ${plan.label}: aborted ${result.aborted}`);
        break;
      }
    }
  } finally {
    await sys.stop();
  }
  result.durationMs = now() - started;
  return result;
}
