import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CredentialsError, loadServiceAccount } from '../../../src/drive/service-account';
import { makeTempDir } from '../../support/temp-dir';

describe('loadServiceAccount', () => {
  const tmp = makeTempDir();
  afterAll(() => tmp.cleanup());
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const file = (name: string, content: string) => {
    const path = join(tmp.dir, name);
    writeFileSync(path, content);
    return path;
  };
  const key = {
    type: 'service_account',
    client_email: 'rollcall@project.iam.gserviceaccount.com',
    private_key: pem,
  };

  it('reads the email and key of a service-account key file', () => {
    expect(loadServiceAccount(file('ok.json', JSON.stringify(key)))).toEqual({
      clientEmail: key.client_email,
      privateKey: pem,
    });
  });

  it.each([
    ['missing.json', null, 'file not found'],
    ['text.json', 'hello', 'not valid JSON'],
    ['array.json', '[]', 'client_email is missing'],
    ['user.json', JSON.stringify({ ...key, type: 'authorized_user' }), 'type is "authorized_user"'],
    ['nomail.json', JSON.stringify({ ...key, client_email: '' }), 'client_email is missing'],
    ['nokey.json', JSON.stringify({ ...key, private_key: undefined }), 'private_key is missing'],
    [
      'badkey.json',
      JSON.stringify({ ...key, private_key: 'xyz' }),
      'private_key is not a PEM private key',
    ],
  ])('refuses %s, saying why', (name, content, why) => {
    const path = content === null ? join(tmp.dir, name) : file(name, content);
    expect(() => loadServiceAccount(path)).toThrow(CredentialsError);
    expect(() => loadServiceAccount(path)).toThrow(`${path}: ${why}`);
  });
});
