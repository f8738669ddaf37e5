import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { ClusterSecret } from '../common/cluster-secret';
import type { ReloadLog } from '../common/reloadable-tls';
import { onReloadTriggers, type ReloadCause } from '../common/reload-triggers';
import { NODE_CREDENTIALS, type NodeCredentials } from './credentials';

/**
 * Re-reads certificates, keys and CLUSTER_SECRET_FILE on SIGHUP and when one of the files
 * changes. New connections use what was re-read; a file that fails to load leaves the old
 * credentials in force and says so in the log: a rotation gone wrong never stops a node.
 */
@Injectable()
export class CredentialReloader implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Credentials');
  private stop: (() => void) | null = null;

  constructor(@Inject(NODE_CREDENTIALS) private readonly credentials: NodeCredentials) {}

  onApplicationBootstrap(): void {
    const { peerTls, apiTls, clusterSecret } = this.credentials;
    const files = [
      ...(peerTls?.paths ?? []),
      ...(apiTls?.paths ?? []),
      ...(clusterSecret?.file ? [clusterSecret.file] : []),
    ];
    if (files.length === 0) return;
    this.stop = onReloadTriggers(files, (cause) => this.reload(cause));
  }

  onModuleDestroy(): void {
    this.stop?.();
    this.stop = null;
  }

  /**
   * Re-reads everything; what did not change, or failed to load, stays as it was. Each change
   * and each failure is logged; a SIGHUP that changed nothing says so, since an operator sent it.
   */
  reload(cause: ReloadCause): void {
    let quiet = true;
    const log = {
      log: (m: string) => {
        quiet = false;
        this.logger.log(m);
      },
      error: (m: string) => {
        quiet = false;
        this.logger.error(m);
      },
    };
    this.credentials.peerTls?.reload(log);
    this.credentials.apiTls?.reload(log);
    const secret = this.credentials.clusterSecret;
    if (secret?.file) this.reloadSecret(secret, secret.file, log);
    if (quiet && cause === 'SIGHUP') {
      this.logger.log('SIGHUP: credential files re-read; none changed since the last reload');
    }
  }

  private reloadSecret(secret: ClusterSecret, file: string, log: ReloadLog): void {
    let changed: boolean;
    try {
      // rotate refuses an empty list ("holds no secret") as it refuses a short secret.
      changed = secret.rotate(ClusterSecret.parseFile(readFileSync(file, 'utf8').trim()));
    } catch (err) {
      log.error(
        `CLUSTER_SECRET_FILE ${file}: not reloaded, the secret in force stays: ${(err as Error).message}`,
      );
      return;
    }
    if (!changed) return;
    log.log(
      `CLUSTER_SECRET_FILE reloaded: ${secret.count === 2 ? 'two secrets (signing with the first, accepting either)' : 'one secret'}; new connections use it`,
    );
  }
}
