import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { ElectionModule } from '../election/election.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

@Module({
  imports: [ClientsModule, ElectionModule],
  controllers: [HealthController],
  providers: [HealthService],
})
export class HealthModule {}
