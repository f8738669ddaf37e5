import { Module } from '@nestjs/common';
import { ElectionModule } from '../election/election.module';
import { AdminController } from './admin.controller';

/** The operator's routes: snapshot and leader transfer, behind ADMIN_TOKEN (see AdminOnly). */
@Module({
  imports: [ElectionModule],
  controllers: [AdminController],
})
export class AdminModule {}
