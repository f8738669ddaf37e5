import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { DriveModule } from '../drive/drive.module';
import { ElectionModule } from '../election/election.module';
import { ClusterController } from './cluster.controller';
import { ClusterService } from './cluster.service';

@Module({
  imports: [ClientsModule, ElectionModule, DriveModule],
  controllers: [ClusterController],
  providers: [ClusterService],
})
export class ClusterModule {}
