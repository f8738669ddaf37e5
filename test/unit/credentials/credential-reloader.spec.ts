import { Logger } from '@nestjs/common';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterSecret } from '../../../src/common/cluster-secret';
import { CredentialReloader } from '../../../src/credentials/credential-reloader';
import { makeTempDir } from '../../support/temp-dir';

const OLD = 'the secret before the rotation';
const NEW = 'the secret after the rotation';

describe('CredentialReloader: what a reload logs', () => {
  const tmp = makeTempDir('rollcall-reloader-');
  const file = join(tmp.dir, 'cluster-secret');
  let lines: string[];
  let reloader: CredentialReloader;
  let secret: ClusterSecret;

  beforeEach(() => {
    lines = [];
    jest
      .spyOn(Logger.prototype, 'log')
      .mockImplementation((m: unknown) => void lines.push(`log ${String(m)}`));
    jest
      .spyOn(Logger.prototype, 'error')
      .mockImplementation((m: unknown) => void lines.push(`error ${String(m)}`));
    writeFileSync(file, `${OLD}\n`);
    secret = new ClusterSecret([OLD], file);
    reloader = new CredentialReloader({ peerTls: null, apiTls: null, clusterSecret: secret });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => tmp.cleanup());

  it('says the secret was reloaded only when it changed, in content or order', () => {
    writeFileSync(file, `${OLD}\n${NEW}\n`);
    reloader.reload('a file changed');
    reloader.reload('a file changed');
    writeFileSync(file, `${NEW}\n${OLD}\n`);
    reloader.reload('a file changed');
    expect(lines).toEqual([
      'log CLUSTER_SECRET_FILE reloaded: two secrets (signing with the first, accepting either); new connections use it',
      'log CLUSTER_SECRET_FILE reloaded: two secrets (signing with the first, accepting either); new connections use it',
    ]);
    expect(secret.count).toBe(2);
  });

  it('answers a SIGHUP that changed nothing with a line saying so; a file event, with none', () => {
    reloader.reload('a file changed');
    reloader.reload('SIGHUP');
    expect(lines).toEqual([
      'log SIGHUP: credential files re-read; none changed since the last reload',
    ]);
  });

  it('answers a SIGHUP that changed the secret with that change only', () => {
    writeFileSync(file, `${NEW}\n`);
    reloader.reload('SIGHUP');
    expect(lines).toEqual(['log CLUSTER_SECRET_FILE reloaded: one secret; new connections use it']);
  });

  it('logs a secret that fails to load, and keeps the one in force', () => {
    writeFileSync(file, 'too short\n');
    reloader.reload('SIGHUP');
    expect(lines).toEqual([
      `error CLUSTER_SECRET_FILE ${file}: not reloaded, the secret in force stays: must be at least 16 characters`,
    ]);
    expect(secret.count).toBe(1);
  });

  it('logs an empty secret file, and keeps the secret in force', () => {
    writeFileSync(file, '\n');
    reloader.reload('a file changed');
    expect(lines).toEqual([
      `error CLUSTER_SECRET_FILE ${file}: not reloaded, the secret in force stays: holds no secret`,
    ]);
    expect(secret.count).toBe(1);
  });
});
