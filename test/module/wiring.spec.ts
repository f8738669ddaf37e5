import { Module, type ModuleMetadata, type Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { ClientsModule } from '../../src/clients/clients.module';
import { ClusterModule } from '../../src/cluster/cluster.module';
import type { ClusterConfig } from '../../src/config/cluster-config';
import { DashboardModule } from '../../src/dashboard/dashboard.module';
import { DriveModule } from '../../src/drive/drive.module';
import { ElectionModule } from '../../src/election/election.module';
import { EventsModule } from '../../src/events/events.module';
import { HealthModule } from '../../src/health/health.module';
import { MetricsModule } from '../../src/metrics/metrics.module';
import { DiskHealth } from '../../src/storage/disk-health';
import { StorageModule } from '../../src/storage/storage.module';
import { makeTempDir } from '../support/temp-dir';
import { MemoryTransport } from './support/fake-io';
import { globalsFor, testConfig, withFakeIo } from './support/module-app';

/** Every feature module AppModule imports; each must stand on its own imports. */
const FEATURE_MODULES: Type[] = [
  ElectionModule,
  ClientsModule,
  DriveModule,
  HealthModule,
  ClusterModule,
  MetricsModule,
  EventsModule,
  DashboardModule,
  StorageModule,
];

/** A copy of `module` whose exports leave out `dropped`: the wiring mistake to be caught. */
function withoutExport(module: Type, dropped: unknown): Type {
  const metadata = Object.fromEntries(
    Object.values(MODULE_METADATA).map((key) => [key, Reflect.getMetadata(key, module) as unknown]),
  ) as ModuleMetadata;
  const exports = (metadata.exports ?? []).filter((e) => e !== dropped);
  class BrokenModule {}
  Module({ ...metadata, exports })(BrokenModule);
  return BrokenModule;
}

/**
 * Builds each module the way Nest will in production, with nothing but the globals main.ts
 * provides and fake I/O: a provider left out of a module's providers, or out of the exports
 * another module relies on, fails here rather than in the first e2e that starts a node.
 */
describe('module wiring', () => {
  const tmp = makeTempDir('rollcall-wiring-');
  let config: ClusterConfig;
  beforeAll(() => (config = testConfig(tmp.dir)));
  afterAll(() => tmp.cleanup());

  const io = () => ({ transport: new MemoryTransport(), fatal: [] as string[] });

  it.each(FEATURE_MODULES.map((m) => [m.name, m]))(
    '%s resolves every dependency from its own providers and its imports',
    async (_name, module) => {
      const builder = Test.createTestingModule({ imports: [...globalsFor(config), module] });
      const ref = await withFakeIo(builder, io()).compile();
      await ref.close();
    },
  );

  it('AppModule resolves as a whole', async () => {
    const builder = Test.createTestingModule({ imports: [AppModule.forRoot(config)] });
    const ref = await withFakeIo(builder, io()).compile();
    await ref.close();
  });

  it('fails to build a module whose import stops exporting what it injects', async () => {
    const builder = Test.createTestingModule({ imports: [...globalsFor(config), HealthModule] })
      .overrideModule(StorageModule)
      .useModule(withoutExport(StorageModule, DiskHealth));
    await expect(withFakeIo(builder, io()).compile()).rejects.toThrow(
      /can't resolve dependencies of the HealthService.*DiskHealth/s,
    );
  });
});
