import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';
import { ElectionModule } from '../election/election.module';
import type { UserStore } from '../storage/user-store';
import { AccessTokenSource } from './access-token-source';
import { isDriveConfigured } from './drive-settings';
import { DriveSyncService, USER_STORE } from './drive-sync.service';
import { loadServiceAccount } from './service-account';

/** Drive's client is loaded only when Drive is on: it is a sizeable require for every start. */
async function openUserStore(config: ClusterConfig, clock: Clock): Promise<UserStore | null> {
  const s = config.drive;
  if (!isDriveConfigured(s)) return null;
  const { DriveRepository } = await import('./drive-repository');
  const tokens = new AccessTokenSource(loadServiceAccount(s.credentialsPath), s.tokenUrl, clock);
  return new DriveRepository(
    {
      sharedDriveId: s.sharedDriveId as string,
      folderId: s.registeredUsersFolderId as string,
      apiRootUrl: s.apiRootUrl,
    },
    tokens,
  );
}

@Module({
  imports: [ClientsModule, ElectionModule],
  providers: [
    { provide: USER_STORE, useFactory: openUserStore, inject: [CLUSTER_CONFIG, CLOCK] },
    DriveSyncService,
  ],
  exports: [DriveSyncService],
})
export class DriveModule {}
