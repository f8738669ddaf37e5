import { ClusterSecret } from '../common/cluster-secret';
import { ReloadableTls } from '../common/reloadable-tls';
import type { ClusterConfig } from '../config/cluster-config';

/**
 * What a node proves itself with and trusts, each re-readable while it runs: the election
 * port's TLS identity, the API's, and CLUSTER_SECRET (re-readable when it came from a file).
 */
export interface NodeCredentials {
  peerTls: ReloadableTls | null;
  apiTls: ReloadableTls | null;
  clusterSecret: ClusterSecret | null;
}

export const NODE_CREDENTIALS = Symbol('NODE_CREDENTIALS');

/** Loads the configured files (the config loader has already checked that they load). */
export function loadCredentials(config: ClusterConfig): NodeCredentials {
  return {
    peerTls: config.peerTls ? new ReloadableTls('peer TLS', config.peerTls) : null,
    apiTls: config.apiTls ? new ReloadableTls('API TLS', config.apiTls) : null,
    clusterSecret: config.clusterSecret,
  };
}
