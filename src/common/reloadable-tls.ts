import type { SecureContext, SecureContextOptions } from 'node:tls';
import { loadTlsMaterial, type TlsFiles, type TlsMaterial } from './tls-material';

/** Where a reload says what happened: an error when the new files are refused. */
export interface ReloadLog {
  log(message: string): void;
  error(message: string): void;
}

/**
 * A TLS identity that can be re-read while the node runs: the certificate, key and CA files are
 * loaded at start (a failure there is the caller's to report), and `reload` replaces them when
 * the new files load, keeping the old ones in force (and saying why) when they do not. Only
 * connections made after a reload use the new ones; those already open live on.
 */
export class ReloadableTls {
  private current: TlsMaterial;
  private readonly listeners: (() => void)[] = [];

  constructor(
    /** What it secures, for messages: "peer TLS", "API TLS". */
    readonly name: string,
    readonly files: TlsFiles,
  ) {
    this.current = loadTlsMaterial(files);
  }

  /** The context new connections use. */
  get context(): SecureContext {
    return this.current.context;
  }

  /** The options that context was built from (a tls.Server's setSecureContext takes these). */
  get options(): SecureContextOptions {
    return this.current.options;
  }

  /** Whether a CA is configured: client certificates are then required. */
  get verifiesClients(): boolean {
    return this.files.caFile !== null;
  }

  /** Every path whose change calls for a reload. */
  get paths(): string[] {
    const { certFile, keyFile, caFile } = this.files;
    return caFile ? [certFile, keyFile, caFile] : [certFile, keyFile];
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Re-reads the files; true when the new ones are in force. */
  reload(log: ReloadLog): boolean {
    let next: TlsMaterial;
    try {
      next = loadTlsMaterial(this.files);
    } catch (err) {
      log.error(
        `${this.name}: new certificates not loaded, the ones in force stay: ${(err as Error).message}`,
      );
      return false;
    }
    if (sameMaterial(next.options, this.current.options)) return false;
    this.current = next;
    for (const listener of this.listeners) listener();
    log.log(`${this.name}: certificates reloaded; new connections use them`);
    return true;
  }
}

function sameMaterial(a: SecureContextOptions, b: SecureContextOptions): boolean {
  const same = (x: unknown, y: unknown) =>
    x === y || (Buffer.isBuffer(x) && Buffer.isBuffer(y) && x.equals(y));
  return same(a.cert, b.cert) && same(a.key, b.key) && same(a.ca, b.ca);
}
