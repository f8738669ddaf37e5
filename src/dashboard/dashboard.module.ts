import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { DashboardController } from './dashboard.controller';
import { OnlineController } from './online.controller';

@Module({
  imports: [ClientsModule],
  controllers: [DashboardController, OnlineController],
})
export class DashboardModule {}
