import { readFileSync } from 'node:fs';
import {
  checkServerIdentity,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type SecureContextOptions,
} from 'node:tls';

/** Where a TLS identity's PEM files are: a certificate (chain), its key and the CA(s) trusted. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA certificates, one or several in one file; null trusts no client certificate. */
  caFile: string | null;
}

/** The files read and checked: the options to build a context from, and the context. */
export interface TlsMaterial {
  options: SecureContextOptions;
  context: SecureContext;
}

/** Only TLS 1.3: both ends are rollcall, so nothing older needs to be spoken. */
export const TLS_MIN_VERSION = 'TLSv1.3';

/**
 * Reads the files and builds a context from them; throws an Error naming the file and the
 * problem (unreadable, not PEM, a key that does not match its certificate). Never includes a
 * key's bytes in a message.
 */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const options: SecureContextOptions = {
    cert: readPem(files.certFile, 'certificate'),
    key: readPem(files.keyFile, 'key'),
    minVersion: TLS_MIN_VERSION,
  };
  if (files.caFile) options.ca = readPem(files.caFile, 'CA certificate');
  let context: SecureContext;
  try {
    context = createSecureContext(options);
  } catch (err) {
    throw new Error(`${files.certFile} and ${files.keyFile}: ${reasonOf(err)}`, { cause: err });
  }
  return { options, context };
}

function readPem(file: string, what: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${reasonOf(err)}`, { cause: err });
  }
  if (!pem.includes('-----BEGIN ')) throw new Error(`${file} holds no PEM ${what}`);
  return pem;
}

/** The first line of an OpenSSL error, which is the part an operator can act on. */
function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0];
}

/**
 * Why `cert` does not name `host` (an IP address or DNS name in its subjectAltName), or null
 * when it does: the check a client makes of a server, applied to a peer's client certificate.
 */
export function certificateNameProblem(host: string, cert: PeerCertificate): string | null {
  const bare = host.replace(/^\[|\]$/g, '');
  const err = checkServerIdentity(bare, cert);
  return err
    ? `its certificate does not name ${bare} (${cert.subjectaltname ?? 'no subjectAltName'})`
    : null;
}
