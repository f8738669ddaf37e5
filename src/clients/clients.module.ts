import { Module } from '@nestjs/common';
import { ElectionModule } from '../election/election.module';
import { ClientStats } from './client-stats';
import { ClientsController } from './clients.controller';
import { ClientsService } from './clients.service';
import { LeaderGuard } from './leader.guard';
import { PresenceReplicator } from './presence-replicator';
import { PresenceService } from './presence.service';
import { RegistryService } from './registry.service';

@Module({
  imports: [ElectionModule],
  controllers: [ClientsController],
  providers: [
    ClientsService,
    RegistryService,
    PresenceService,
    PresenceReplicator,
    LeaderGuard,
    ClientStats,
  ],
  exports: [RegistryService, PresenceService, ClientStats],
})
export class ClientsModule {}
