import type { ServerOptions } from 'node:https';
import type { ReloadableTls } from '../common/reloadable-tls';

/** What either platform's HTTPS server is created with (a type both platforms accept). */
export type HttpsOptions = Pick<
  ServerOptions,
  'cert' | 'key' | 'ca' | 'minVersion' | 'requestCert' | 'rejectUnauthorized'
>;

/**
 * The API's HTTPS server options (API_TLS_*), or null for plain HTTP. With API_TLS_CA_FILE,
 * clients must present a certificate that chains to it: OpenSSL refuses the others during the
 * handshake, before any request is read.
 */
export function httpsOptionsOf(tls: ReloadableTls | null): HttpsOptions | null {
  if (!tls) return null;
  const { cert, key, ca, minVersion } = tls.options;
  return {
    cert,
    key,
    ca,
    minVersion,
    requestCert: tls.verifiesClients,
    rejectUnauthorized: tls.verifiesClients,
  };
}
