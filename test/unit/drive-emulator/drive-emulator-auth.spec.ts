import { generateKeyPairSync } from 'node:crypto';
import { auth as googleAuth, drive as driveClient } from 'googleapis/build/src/apis/drive';
import { DriveEmulator, type ServiceAccount } from '../../support/drive-emulator';
import { driveClientFor } from '../../support/drive-emulator/drive-client';
import { requestToken, signAssertion } from '../../support/drive-emulator/sign-assertion';

describe('DriveEmulator token endpoint and bearer checks', () => {
  let emulator: DriveEmulator;
  let account: ServiceAccount;

  beforeAll(async () => {
    emulator = await DriveEmulator.start();
    account = emulator.addServiceAccount();
    emulator.addSharedDrive('d');
  });

  afterAll(() => emulator.close());

  it('issues a bearer token for a correctly signed assertion', async () => {
    const answer = await requestToken(emulator.tokenUrl, signAssertion(account, emulator.tokenUrl));
    expect(answer).toEqual({
      status: 200,
      body: { access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer' },
    });
  });

  it('shapes the key file like a Google service-account key', () => {
    expect(account.credentialsJson).toMatchObject({
      type: 'service_account',
      client_email: account.clientEmail,
      private_key: expect.stringContaining('-----BEGIN PRIVATE KEY-----'),
      token_uri: emulator.tokenUrl,
    });
  });

  const now = () => Math.floor(Date.now() / 1000);
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

  it.each([
    ['a signature from another key', { privateKeyPem: otherKey }, 'invalid_grant'],
    ['the wrong audience', { aud: 'https://oauth2.googleapis.com/token' }, 'invalid_grant'],
    ['an expired assertion', { iat: now() - 7200, exp: now() - 3600 }, 'invalid_grant'],
    ['a lifetime over an hour', { iat: now(), exp: now() + 3601 }, 'invalid_grant'],
    [
      'no drive scope',
      { scope: 'https://www.googleapis.com/auth/drive.readonly' },
      'invalid_scope',
    ],
  ])('rejects %s', async (_label, overrides, error) => {
    const answer = await requestToken(
      emulator.tokenUrl,
      signAssertion(account, emulator.tokenUrl, overrides),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error, error_description: expect.any(String) });
  });

  it('rejects a non-JWT-bearer grant', async () => {
    const res = await fetch(emulator.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  async function listStatus(accessToken: string | undefined): Promise<unknown> {
    const auth = new googleAuth.OAuth2();
    if (accessToken !== undefined) auth.setCredentials({ access_token: accessToken });
    const drive = driveClient({
      version: 'v3',
      rootUrl: emulator.rootUrl,
      retry: false,
      fetchImplementation: fetch,
      ...(accessToken === undefined ? {} : { auth }),
    });
    return drive.files.list().then(
      (res) => ({ status: res.status }),
      (err: { status: number; response: { data: unknown } }) => ({
        status: err.status,
        data: err.response.data,
      }),
    );
  }

  it('answers 401 without a token and with one it never issued', async () => {
    expect(await listStatus(undefined)).toMatchObject({
      status: 401,
      data: { error: { code: 401, errors: [{ reason: 'required' }] } },
    });
    expect(await listStatus('ya29.forged')).toMatchObject({
      status: 401,
      data: { error: { code: 401, errors: [{ reason: 'authError' }] } },
    });
  });

  it('answers 401 once tokens are expired, until a new one is fetched', async () => {
    const drive = await driveClientFor(emulator, account);
    await expect(drive.files.list()).resolves.toMatchObject({ status: 200 });
    emulator.expireAllTokens();
    await expect(drive.files.list()).rejects.toMatchObject({ status: 401 });
    const fresh = await driveClientFor(emulator, account);
    await expect(fresh.files.list()).resolves.toMatchObject({ status: 200 });
  });
});
