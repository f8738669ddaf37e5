import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { randomUUID } from 'node:crypto';
import { PresenceService } from '../../src/clients/presence.service';
import { hashClientToken, newClientToken } from '../../src/clients/client-token';
import { RegistryStateMachine } from '../../src/clients/registry-state-machine';
import { newUserId } from '../../src/clients/user-id';
import type { ClusterConfig } from '../../src/config/cluster-config';
import type { RegisteredUser } from '../../src/storage/registered-user';
import { quantile } from '../lib/stats';
import { ManualClock } from './manual-clock';

export const TIMEOUT_MS = 30_000;

/** The same names and addresses in every case, made inside the measured span in all of them. */
const nameOf = (i: number) => `user${String(i).padStart(7, '0')}`;
const addrOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9000`;

export function newPresence(clock: ManualClock): PresenceService {
  // Debug lines from an expiry pass would be timed with it; a node runs at LOG_LEVEL=info or above.
  Logger.overrideLogger(['error', 'warn']);
  return new PresenceService(
    { clientTimeoutMs: TIMEOUT_MS } as ClusterConfig,
    clock,
    new SchedulerRegistry(),
  );
}

/** What a case builds: `count` entries, kept reachable until measured. */
export type Build = (count: number) => unknown;

export const MEMORY_CASES: Record<string, { what: string; build: Build }> = {
  presence: {
    what: 'PresenceService.heartbeat(name, addr), the real class',
    build: (count) => {
      const p = newPresence(new ManualClock());
      for (let i = 0; i < count; i++) p.heartbeat(nameOf(i), addrOf(i));
      return p;
    },
  },
  'presence-after-discover': {
    what: 'the same, then one listJson(): what a /discover answer leaves behind (nothing is cached per entry)',
    build: (count) => {
      const p = newPresence(new ManualClock());
      for (let i = 0; i < count; i++) p.heartbeat(nameOf(i), addrOf(i));
      p.listJson();
      return p;
    },
  },
  'online-reference': {
    what: 'a plain Map of the same strings: name -> addr',
    build: (count) => {
      const m = new Map<string, string>();
      for (let i = 0; i < count; i++) m.set(nameOf(i), addrOf(i));
      return m;
    },
  },
  registry: {
    what: 'RegistryStateMachine.apply(i, {op: "register", user, token_sha256}), id and token hash made as the leader makes them',
    build: (count) => {
      const sm = new RegistryStateMachine();
      const at = Date.UTC(2026, 0, 1);
      for (let i = 0; i < count; i++) {
        const user = {
          user_id: newUserId(),
          username: nameOf(i),
          addr: addrOf(i),
          registered_at: new Date(at + i).toISOString(),
        };
        sm.apply(i + 1, {
          op: 'register',
          user,
          token_sha256: hashClientToken(newClientToken()),
        });
      }
      return sm;
    },
  },
  'registry-from-log': {
    what: 'the same, each command parsed from its JSON text as a follower or a restart gets it',
    build: (count) => {
      const sm = new RegistryStateMachine();
      const at = Date.UTC(2026, 0, 1);
      for (let i = 0; i < count; i++) {
        const text = `{"op":"register","user":{"user_id":"${randomUUID()}","username":"${nameOf(i)}","addr":"${addrOf(i)}","registered_at":"${new Date(at + i).toISOString()}"}}`;
        sm.apply(i + 1, JSON.parse(text));
      }
      return sm;
    },
  },
  'registry-reference': {
    what: 'a plain Map of the same strings, flat: name -> {user_id, username, addr, registered_at}',
    build: (count) => {
      const m = new Map<string, RegisteredUser>();
      const at = Date.UTC(2026, 0, 1);
      for (let i = 0; i < count; i++) {
        const username = nameOf(i);
        m.set(username, {
          // randomUUID() returns a rope of 30-odd pieces (about 490 B); a parsed copy is flat.
          user_id: JSON.parse(`"${randomUUID()}"`) as string,
          username,
          addr: addrOf(i),
          registered_at: new Date(at + i).toISOString(),
        });
      }
      return m;
    },
  },
};

const gc = (): void => {
  const f = (globalThis as { gc?: () => void }).gc;
  if (!f) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) f();
};

export interface MemoryResult {
  count: number;
  heapDeltaBytes: number;
  rssDeltaBytes: number;
  heapPerEntry: number;
  rssPerEntry: number;
  buildMs: number;
}

/** Heap and RSS after a full GC, before and after building; the build is kept alive across. */
export function measureMemory(build: Build, count: number): MemoryResult {
  gc();
  const before = process.memoryUsage();
  const t = performance.now();
  const kept = build(count);
  const buildMs = performance.now() - t;
  gc();
  const after = process.memoryUsage();
  if (kept === null) throw new Error('unreachable: keeps the build alive until here');
  const heap = after.heapUsed - before.heapUsed;
  const rss = after.rss - before.rss;
  return {
    count,
    heapDeltaBytes: heap,
    rssDeltaBytes: rss,
    heapPerEntry: heap / count,
    rssPerEntry: rss / count,
    buildMs: Math.round(buildMs),
  };
}

export interface PassTimes {
  due: number;
  passes: number;
  /** Each pass's expired count equalled `due`. */
  allExpiredAsPlanned: boolean;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
}

function summarizePasses(due: number, ms: number[], asPlanned: boolean): PassTimes {
  const s = [...ms].sort((a, b) => a - b);
  return {
    due,
    passes: s.length,
    allExpiredAsPlanned: asPlanned,
    medianMs: quantile(s, 0.5),
    p90Ms: quantile(s, 0.9),
    minMs: s[0],
    maxMs: s[s.length - 1],
  };
}

/**
 * Expiry passes over `count` online clients. The fill moves the clock 1 ms every 1,000
 * heartbeats, so that the clients due at a given time are an exact prefix: setting the clock
 * makes exactly `due` of them expire in the next pass. After a timed pass the expired names beat
 * again (untimed), which keeps `count` online for the next one.
 */
export function timeExpiry(
  count: number,
  idlePasses: number,
  dueSteps: { due: number; passes: number }[],
): PassTimes[] {
  const clock = new ManualClock();
  const p = newPresence(clock);
  const base = clock.mono;
  const perMs = 1000;
  for (let i = 0; i < count; i++) {
    clock.mono = base + Math.floor(i / perMs);
    p.heartbeat(nameOf(i), addrOf(i));
  }
  const out: PassTimes[] = [];
  const idle: number[] = [];
  let asPlanned = true;
  for (let k = 0; k < idlePasses; k++) {
    const t = performance.now();
    const n = p.expireDue();
    idle.push(performance.now() - t);
    asPlanned &&= n === 0;
  }
  out.push(summarizePasses(0, idle, asPlanned));

  let cursor = 0;
  for (const step of dueSteps) {
    const ms: number[] = [];
    asPlanned = true;
    for (let k = 0; k < step.passes && cursor + step.due <= count; k++) {
      const cut = cursor + step.due;
      // Entry j beat at base + floor(j / perMs): exactly j < cut are at least TIMEOUT_MS old.
      clock.mono = base + Math.floor((cut - 1) / perMs) + TIMEOUT_MS;
      const t = performance.now();
      const n = p.expireDue();
      ms.push(performance.now() - t);
      asPlanned &&= n === step.due;
      for (let j = cursor; j < cut; j++) p.heartbeat(nameOf(j), addrOf(j));
      cursor = cut;
    }
    if (ms.length > 0) out.push(summarizePasses(step.due, ms, asPlanned));
  }
  return out;
}
