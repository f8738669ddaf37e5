import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CLOCK, type Clock } from '../common/clock';
import { startNamedInterval, stopNamedInterval } from '../common/named-interval';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { ClientStats } from './client-stats';

const SAMPLE_JOB = 'heartbeat-rates';
const SAMPLE_EVERY_MS = 1000;

/**
 * Heartbeats accepted per second, per node, for GET /cluster and the dashboard: this node's own
 * (what it answered 200, as leader or as follower), and on a leader each follower's (what the
 * follower passed on and this node held). Sampled from ClientStats once a second, so the
 * heartbeat path pays nothing for it.
 */
@Injectable()
export class HeartbeatRates implements OnModuleInit, OnModuleDestroy {
  private lastAt: number | null = null;
  private readonly lastTotals = new Map<string, number>();
  private readonly rates = new Map<string, number>();

  constructor(
    @Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly stats: ClientStats,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onModuleInit(): void {
    this.sample();
    startNamedInterval(this.scheduler, SAMPLE_JOB, SAMPLE_EVERY_MS, () => this.sample());
  }

  onModuleDestroy(): void {
    stopNamedInterval(this.scheduler, SAMPLE_JOB);
  }

  /** Heartbeats per second `node` took over the last second, or null where this node cannot tell. */
  of(node: string): number | null {
    return this.rates.get(node) ?? null;
  }

  sample(): void {
    const now = this.clock.monotonicMs();
    const totals = new Map(this.stats.forwardedBy);
    totals.set(this.config.thisNode, this.stats.heartbeats + this.stats.followerHeartbeats);
    const since = this.lastAt;
    this.lastAt = now;
    this.rates.clear();
    for (const [node, total] of totals) {
      const before = this.lastTotals.get(node);
      this.lastTotals.set(node, total);
      if (since === null || before === undefined || now <= since) continue;
      this.rates.set(node, Math.round(((total - before) * 1000) / (now - since)));
    }
  }
}
