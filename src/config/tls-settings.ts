import { loadTlsMaterial, type TlsFiles } from '../common/tls-material';
import { text } from './env-rules';
import { envVar } from './setting';

/** The three files of a TLS identity, each from its own variable (`PREFIX_CERT_FILE`, ...). */
export function tlsFileSettings(prefix: string) {
  return {
    certFile: envVar(`${prefix}_CERT_FILE`, text).optional(),
    keyFile: envVar(`${prefix}_KEY_FILE`, text).optional(),
    caFile: envVar(`${prefix}_CA_FILE`, text).optional(),
  };
}

/** What the three settings read. */
export interface GivenTlsFiles {
  certFile: string | null;
  keyFile: string | null;
  caFile: string | null;
}

/** The identity, or null when no file is named (the rules below have checked the rest). */
export function tlsFilesOf(given: GivenTlsFiles): TlsFiles | null {
  const { certFile, keyFile, caFile } = given;
  return certFile && keyFile ? { certFile, keyFile, caFile } : null;
}

/**
 * Why the files given under `prefix` cannot be used, or null. `caRequired`: peers verify each
 * other, so all three or none; the API's CA is optional (it turns on client certificates). The
 * files are loaded here too, so that a bad one stops the node at start with exit 2.
 */
export function tlsFilesProblem(
  prefix: string,
  given: GivenTlsFiles,
  caRequired: boolean,
): { key: string; problem: string } | null {
  const named = {
    [`${prefix}_CERT_FILE`]: given.certFile,
    [`${prefix}_KEY_FILE`]: given.keyFile,
    [`${prefix}_CA_FILE`]: given.caFile,
  };
  const set = Object.keys(named).filter((k) => named[k] !== null);
  if (set.length === 0) return null;
  const needed = caRequired ? Object.keys(named) : Object.keys(named).slice(0, 2);
  const missing = needed.filter((k) => named[k] === null);
  if (missing.length > 0) {
    const all = caRequired ? 'all three or none' : `both ${needed.join(' and ')} or neither`;
    return {
      key: missing[0],
      problem: `missing while ${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set (${all})`,
    };
  }
  const files = tlsFilesOf(given);
  if (!files) return null;
  try {
    loadTlsMaterial(files);
  } catch (err) {
    return { key: `${prefix}_CERT_FILE`, problem: (err as Error).message };
  }
  return null;
}
