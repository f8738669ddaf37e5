import { applyDecorators, UseGuards, UseInterceptors } from '@nestjs/common';
import { LeaderGuard } from './leader.guard';
import { TermHeaderInterceptor } from './term-header.interceptor';

/**
 * A route only a leader holding its lease answers (LeaderGuard decides), each answer naming
 * the term it was served in (TermHeaderInterceptor): the two always go together.
 */
export const LeaderOnly = () =>
  applyDecorators(UseGuards(LeaderGuard), UseInterceptors(TermHeaderInterceptor));
