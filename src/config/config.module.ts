import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { CLOCK, type Clock } from '../common/clock';
import { CLUSTER_CONFIG, type ClusterConfig } from './cluster-config';

/**
 * Makes the validated ClusterConfig (read once by main.ts) and the clock injectable everywhere.
 * The config goes through @nestjs/config so other modules may also read it from ConfigService.
 */
@Global()
@Module({})
export class ClusterConfigModule {
  static forRoot(config: ClusterConfig, clock: Clock): DynamicModule {
    return {
      module: ClusterConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ cluster: config })] })],
      providers: [
        {
          provide: CLUSTER_CONFIG,
          inject: [ConfigService],
          useFactory: (cs: ConfigService) => cs.getOrThrow<ClusterConfig>('cluster'),
        },
        { provide: CLOCK, useValue: clock },
      ],
      exports: [CLUSTER_CONFIG, CLOCK],
    };
  }
}
