import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { ElectionModule } from '../election/election.module';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

@Module({
  imports: [ElectionModule, ClientsModule],
  controllers: [EventsController],
  providers: [EventsService],
  exports: [EventsService],
})
export class EventsModule {}
