import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { DriveModule } from '../drive/drive.module';
import { ElectionModule } from '../election/election.module';
import { StorageModule } from '../storage/storage.module';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

@Module({
  imports: [ClientsModule, ElectionModule, DriveModule, StorageModule],
  controllers: [HealthController],
  providers: [HealthService],
})
export class HealthModule {}
