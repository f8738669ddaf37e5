import { now, sleep, waitFor } from '../lib/time';
import { FedCluster } from './fed-cluster';
import { LeaderFollowingLoad, type LoadCounts, registerUsers } from './heartbeat-load';
import { LeaderWatch, type Reign } from './leader-watch';

export interface Scenario {
  id: string;
  /** Every node's background from the start. */
  backgrounds: number[];
  /** When set, one follower's background drops to this as the window opens. */
  lightenTo: number | null;
}

export const SCENARIOS: Scenario[] = [
  { id: 'equal', backgrounds: [30, 30, 30], lightenTo: null },
  { id: 'split', backgrounds: [70, 70, 70], lightenTo: 5 },
];

export interface ScenarioResult {
  id: string;
  backgrounds: number[];
  windowFromMs: number;
  reigns: Reign[];
  /** Leader changes from the window's start to its end. */
  changes: number;
  lighter: number | null;
  movedAfterMs: number | null;
  /** Whether the lighter node, once it led, led to the end. */
  stayed: boolean | null;
  /** Mean of each node's own CPU share (points of the machine) while it led and while not. */
  ownCpu: { leading: number; following: number };
  load: LoadCounts;
}

/** Lets the leader's own CPU show in the fed loads before the window opens. */
const WARMUP_MS = 3000;
const TICK_MS = 100;
const USERS = 200;

/** Feeds loads and watches the leader every TICK_MS until `stop()` or `maxMs`. */
function background(cluster: FedCluster, watch: LeaderWatch, maxMs: number) {
  let stopped = false;
  const own = { leading: [] as number[], following: [] as number[] };
  const loop = async (step: () => Promise<void> | void) => {
    for (let round = 0; !stopped && round < maxMs / TICK_MS; round++) {
      await step();
      await sleep(TICK_MS);
    }
  };
  const feeding = loop(() =>
    cluster.feedAll().forEach((share, i) => {
      (i === watch.current ? own.leading : own.following).push(share);
    }),
  );
  const watching = loop(() => watch.round());
  return {
    own,
    stop: async () => {
      stopped = true;
      await Promise.all([feeding, watching]);
    },
  };
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export async function runScenario(
  mainJs: string,
  scenario: Scenario,
  args: { seconds: number; clients: number; rate: number },
): Promise<ScenarioResult> {
  const cluster = new FedCluster(mainJs, scenario.backgrounds);
  let loops: ReturnType<typeof background> | null = null;
  try {
    await cluster.start();
    const watch = new LeaderWatch(cluster.apiPorts);
    // Bounded too: the start, registrations and the window take far less than a minute more.
    loops = background(cluster, watch, 60_000 + WARMUP_MS + args.seconds * 1000);
    await waitFor('a leader', () => Promise.resolve(watch.current !== null), 30_000, TICK_MS);
    const users = await registerUsers(() => cluster.apiPorts[watch.current ?? 0], USERS);
    const plan = { clients: args.clients, ratePerSecond: args.rate, maxRequests: 5_000_000 };
    const load = new LeaderFollowingLoad(cluster.apiPorts, () => watch.current, users, plan);
    const loadDone = load.run(now() + WARMUP_MS + args.seconds * 1000);
    await sleep(WARMUP_MS);
    const windowFromMs = Math.round(watch.elapsedMs());
    const lighter = scenario.lightenTo === null ? null : lightenAFollower(cluster, watch, scenario);
    await loadDone;
    await loops.stop();
    const own = loops.own;
    for (let i = 0; i < cluster.ids.length; i++) {
      if (!cluster.running(i)) throw new Error(`node ${i} exited: ${cluster.tail(i).join(' | ')}`);
    }
    const later = watch.reigns.filter((r) => r.at >= windowFromMs);
    const firstLed = lighter === null ? undefined : later.find((r) => r.leader === lighter);
    return {
      id: scenario.id,
      backgrounds: scenario.backgrounds,
      windowFromMs,
      reigns: watch.reigns,
      changes: watch.changesSince(windowFromMs),
      lighter,
      movedAfterMs: firstLed ? firstLed.at - windowFromMs : null,
      stayed: lighter === null ? null : firstLed !== undefined && later.at(-1) === firstLed,
      ownCpu: { leading: mean(own.leading), following: mean(own.following) },
      load: load.counts,
    };
  } finally {
    await loops?.stop();
    await cluster.stop();
  }
}

/** The highest-indexed follower's background drops: another job on its machine ended. */
function lightenAFollower(cluster: FedCluster, watch: LeaderWatch, scenario: Scenario): number {
  const followers = cluster.ids.map((_, i) => i).filter((i) => i !== watch.current);
  const lighter = followers[followers.length - 1];
  cluster.backgrounds[lighter] = scenario.lightenTo!;
  return lighter;
}
