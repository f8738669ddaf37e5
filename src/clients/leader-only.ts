import { UseGuards } from '@nestjs/common';
import { LeaderGuard } from './leader.guard';

/**
 * A route only a leader holding its lease answers, each answer naming the term it was served in
 * (both done by LeaderGuard, see there why one enhancer and not two).
 */
export const LeaderOnly = () => UseGuards(LeaderGuard);
