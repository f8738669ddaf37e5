import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Certificates made at run time with the openssl CLI (the commands docs/security.md gives), so
 * nothing secret is committed. Keys are P-256: quick to make, and every TLS stack takes them.
 */
export interface TestCa {
  name: string;
  /** PEM files. */
  certFile: string;
  keyFile: string;
}

export interface LeafFiles {
  certFile: string;
  keyFile: string;
}

/** The subjectAltName a leaf carries; IP:127.0.0.1 for every loopback node unless told. */
export interface LeafOptions {
  san?: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA named `name`, valid for a day. */
export function makeCa(dir: string, name: string): TestCa {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  openssl(
    ['req', '-x509', ...EC_KEY, '-keyout', keyFile, '-out', certFile, '-days', '1'].concat([
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]),
    dir,
  );
  return { name, certFile, keyFile };
}

let serial = 0;

/** A leaf signed by `ca`, for server and client use, named `name` in the directory. */
export function makeLeaf(dir: string, ca: TestCa, name: string, o: LeafOptions = {}): LeafFiles {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    [
      `subjectAltName=${o.san ?? 'IP:127.0.0.1'}`,
      'extendedKeyUsage=serverAuth,clientAuth',
      'keyUsage=critical,digitalSignature',
    ].join('\n'),
  );
  openssl(['req', ...EC_KEY, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`], dir);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile].concat([
      '-set_serial',
      String(Date.now() * 1000 + ++serial),
      '-out',
      certFile,
      '-days',
      '1',
      '-extfile',
      ext,
    ]),
    dir,
  );
  return { certFile, keyFile };
}

/** One PEM file holding every given CA: the bundle of a CA rotation's middle steps. */
export function bundleCas(dir: string, name: string, cas: TestCa[]): string {
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, cas.map((ca) => readFileSync(ca.certFile, 'utf8')).join(''));
  return file;
}
