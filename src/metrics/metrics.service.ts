import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ClientStats } from '../clients/client-stats';
import { PresenceService } from '../clients/presence.service';
import { RegistryService } from '../clients/registry.service';
import { DriveSyncService } from '../drive/drive-sync.service';
import { PeerDirectory } from '../election/peer-directory';
import { LeadershipState } from '../election/leadership-state';
import { HttpMetrics } from './http-metrics';

/**
 * Every rollcall_ metric but the HTTP histogram. Values the node already keeps are read when
 * scraped (collect callbacks), so nothing is updated per request; only role changes and
 * heartbeat round trips are recorded as they happen, a few times a second at most.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  constructor(
    private readonly http: HttpMetrics,
    private readonly leadership: LeadershipState,
    private readonly peers: PeerDirectory,
    private readonly stats: ClientStats,
    private readonly presence: PresenceService,
    private readonly registry: RegistryService,
    private readonly drive: DriveSyncService,
  ) {}

  onModuleInit(): void {
    const registers = [this.http.registry];
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers, collect: collectGauge(read) });
    const total = (name: string, help: string, read: () => number) =>
      new Counter({ name, help, registers, collect: collectCounter(read) });

    gauge('rollcall_term', 'Election term this node is in.', () => this.leadership.current.term);
    gauge('rollcall_is_leader', '1 while this node leads and holds its lease, else 0.', () =>
      this.leadership.canServeAsLeader() ? 1 : 0,
    );
    gauge(
      'rollcall_online_clients',
      'Clients online now (on a follower, its copy of the leader list).',
      () => this.presence.count,
    );
    gauge(
      'rollcall_registered_users',
      'Users registered, as far as this node has applied the log.',
      () => this.registry.count,
    );
    gauge(
      'rollcall_drive_pending_writes',
      'Users committed but not yet written to Google Drive (the leader queue).',
      () => this.drive.status().pending_writes,
    );
    const stats = this.stats;
    new Counter({
      name: 'rollcall_heartbeats_total',
      help: 'Heartbeats this node answered 200, as leader or (follower_heartbeats) as follower.',
      labelNames: ['via'] as const,
      registers,
      collect(this: Counter<'via'>) {
        this.reset();
        this.inc({ via: 'leader' }, stats.heartbeats);
        this.inc({ via: 'follower' }, stats.followerHeartbeats);
      },
    });
    total(
      'rollcall_registrations_total',
      'Registrations this node answered 200 as leader.',
      () => this.stats.registrations,
    );
    total(
      'rollcall_expirations_total',
      'Clients timed out for lack of heartbeats (on a follower, in its copy).',
      () => this.presence.expirations,
    );
    total(
      'rollcall_drive_errors_total',
      'Google Drive calls that failed, retries included.',
      () => this.drive.errorCount,
    );

    const changes = new Counter({
      name: 'rollcall_leader_changes_total',
      help: 'Role changes of this node as the election announces them, by reason.',
      labelNames: ['reason'] as const,
      registers,
    });
    this.leadership.onRoleChange((c) => changes.inc({ reason: c.reason }));

    const rtt = new Histogram({
      name: 'rollcall_peer_rtt_seconds',
      help: 'Heartbeat to acknowledgement round trip to each follower, measured by the leader.',
      labelNames: ['peer'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.peers.onPeerRtt((peer, seconds) => rtt.observe({ peer }, seconds));
  }

  scrape(): Promise<string> {
    return this.http.registry.metrics();
  }
}

function collectGauge(read: () => number) {
  return function (this: Gauge) {
    this.set(read());
  };
}

/** A counter whose running total lives elsewhere: set on scrape, never incremented here. */
function collectCounter(read: () => number) {
  return function (this: Counter) {
    this.reset();
    this.inc(read());
  };
}
