import { Module } from '@nestjs/common';
import { ElectionModule } from '../election/election.module';
import { AdminController } from './admin.controller';
import { MembersController } from './members.controller';

/** The operator's routes: snapshot, leader transfer and membership, behind ADMIN_TOKEN (see AdminOnly). */
@Module({
  imports: [ElectionModule],
  controllers: [AdminController, MembersController],
})
export class AdminModule {}
