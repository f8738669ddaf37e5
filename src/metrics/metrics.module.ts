import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { DriveModule } from '../drive/drive.module';
import { ElectionModule } from '../election/election.module';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Module({
  imports: [ClientsModule, ElectionModule, DriveModule],
  controllers: [MetricsController],
  providers: [HttpMetrics, MetricsService],
  exports: [HttpMetrics],
})
export class MetricsModule {}
