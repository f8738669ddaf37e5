import type { SchedulerRegistry } from '@nestjs/schedule';

/**
 * A provider's recurring timer, as a named interval in @nestjs/schedule's SchedulerRegistry so
 * that a test or an operator can list the node's timers by name (docs/nest-idioms.md, Timers).
 * Started in the owner's onModuleInit (or onApplicationBootstrap), stopped in its onModuleDestroy.
 */
export function startNamedInterval(
  scheduler: SchedulerRegistry,
  name: string,
  everyMs: number,
  tick: () => void,
  { unref = false }: { unref?: boolean } = {},
): void {
  const timer = setInterval(tick, everyMs);
  // For a timer that must not keep the process alive on its own.
  if (unref) timer.unref();
  scheduler.addInterval(name, timer);
}

/** Clears and forgets the interval `name`; nothing to do if it never started (a skipped init). */
export function stopNamedInterval(scheduler: SchedulerRegistry, name: string): void {
  if (scheduler.doesExist('interval', name)) scheduler.deleteInterval(name);
}
