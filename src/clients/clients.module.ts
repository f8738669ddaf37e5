import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { Module } from '@nestjs/common';
import { ElectionModule } from '../election/election.module';
import { ClientStats } from './client-stats';
import { ClientsController } from './clients.controller';
import { ClientsService } from './clients.service';
import { DiscoverStreamService } from './discover-stream.service';
import { DiscoverReadGuard, UsersReadGuard } from './follower-read.guard';
import { ForwardedHeartbeats } from './forwarded-heartbeats';
import { HeartbeatForwarder } from './heartbeat-forwarder';
import { HeartbeatAdmission } from './heartbeat-admission';
import { HeartbeatEndpoint } from './heartbeat-endpoint';
import { HeartbeatGuard } from './heartbeat.guard';
import { HeartbeatRates } from './heartbeat-rates';
import { LeaderGuard } from './leader.guard';
import { PresenceReplicator } from './presence-replicator';
import { PresenceService } from './presence.service';
import { StorageModule } from '../storage/storage.module';
import { RegisterThrottleGuard } from './register-throttle.guard';
import { RegistryService } from './registry.service';

@Module({
  imports: [
    ElectionModule,
    StorageModule,
    ThrottlerModule.forRootAsync({
      inject: [CLUSTER_CONFIG],
      useFactory: (c: ClusterConfig) => ({
        throttlers: [{ limit: c.registerLimit, ttl: c.registerWindowMs }],
      }),
    }),
  ],
  controllers: [ClientsController],
  providers: [
    ClientsService,
    DiscoverStreamService,
    RegistryService,
    PresenceService,
    PresenceReplicator,
    HeartbeatForwarder,
    ForwardedHeartbeats,
    LeaderGuard,
    HeartbeatAdmission,
    HeartbeatGuard,
    DiscoverReadGuard,
    UsersReadGuard,
    HeartbeatEndpoint,
    ClientStats,
    HeartbeatRates,
    { provide: APP_GUARD, useClass: RegisterThrottleGuard },
  ],
  exports: [RegistryService, PresenceService, ClientStats, HeartbeatEndpoint, HeartbeatRates],
})
export class ClientsModule {}
