import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { AdminModule } from './admin/admin.module';
import { ClientsModule } from './clients/clients.module';
import { ClusterModule } from './cluster/cluster.module';
import { type Clock, SystemClock } from './common/clock';
import { JsonErrorFilter } from './common/http/json-error.filter';
import { createValidationPipe } from './common/http/validation.pipe';
import type { ClusterConfig } from './config/cluster-config';
import { ClusterConfigModule } from './config/config.module';
import { CredentialsModule } from './credentials/credentials.module';
import { loadCredentials, type NodeCredentials } from './credentials/credentials';
import { DashboardModule } from './dashboard/dashboard.module';
import { DriveModule } from './drive/drive.module';
import { ElectionModule } from './election/election.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { StorageModule } from './storage/storage.module';

@Module({})
export class AppModule {
  static forRoot(
    config: ClusterConfig,
    clock: Clock = new SystemClock(),
    credentials: NodeCredentials = loadCredentials(config),
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ClusterConfigModule.forRoot(config, clock),
        CredentialsModule.forRoot(credentials),
        ScheduleModule.forRoot(),
        StorageModule,
        ElectionModule,
        ClientsModule,
        DriveModule,
        HealthModule,
        ClusterModule,
        MetricsModule,
        EventsModule,
        DashboardModule,
        AdminModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: JsonErrorFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
