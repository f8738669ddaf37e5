import { Module } from '@nestjs/common';
import { ElectionModule } from '../election/election.module';
import { ClientsController } from './clients.controller';
import { ClientsService } from './clients.service';
import { DiscoverStreamService } from './discover-stream.service';
import { LeaderGuard } from './leader.guard';
import { PresenceReplicator } from './presence-replicator';
import { PresenceService } from './presence.service';
import { RegistryService } from './registry.service';

@Module({
  imports: [ElectionModule],
  controllers: [ClientsController],
  providers: [
    ClientsService,
    DiscoverStreamService,
    RegistryService,
    PresenceService,
    PresenceReplicator,
    LeaderGuard,
  ],
  exports: [RegistryService, PresenceService],
})
export class ClientsModule {}
