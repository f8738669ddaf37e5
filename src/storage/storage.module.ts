import { Module } from '@nestjs/common';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { FileStore } from './file-store';
import { USER_STORE } from './user-store';

@Module({
  providers: [
    {
      provide: USER_STORE,
      inject: [CLUSTER_CONFIG],
      useFactory: (config: ClusterConfig) => new FileStore(config.dataDir),
    },
  ],
  exports: [USER_STORE],
})
export class StorageModule {}
