import { Module } from '@nestjs/common';
import { ElectionService } from './election.service';
import { LeadershipState } from './leadership-state';

@Module({
  providers: [LeadershipState, ElectionService],
  exports: [LeadershipState],
})
export class ElectionModule {}
