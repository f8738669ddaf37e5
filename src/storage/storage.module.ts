import { Module } from '@nestjs/common';
import { DiskHealth } from './disk-health';

/**
 * What this node knows about its data directory, for the features that must refuse work when it
 * cannot take a write (registrations) or report it (/health).
 */
@Module({
  providers: [DiskHealth],
  exports: [DiskHealth],
})
export class StorageModule {}
