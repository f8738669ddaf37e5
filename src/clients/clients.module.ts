import { Module } from '@nestjs/common';
import { ElectionModule } from '../election/election.module';
import { ClientsController } from './clients.controller';
import { ClientsService } from './clients.service';
import { LeaderGuard } from './leader.guard';
import { PresenceReplicator } from './presence-replicator';
import { PresenceService } from './presence.service';
import { DiskHealth } from '../storage/disk-health';
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
    DiskHealth,
  ],
  exports: [RegistryService, PresenceService, DiskHealth],
})
export class ClientsModule {}
