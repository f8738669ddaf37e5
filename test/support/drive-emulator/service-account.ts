import { generateKeyPairSync, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROJECT_ID = 'rollcall-emulator';

/** A service-account key file as the Cloud console downloads it. */
export interface ServiceAccountCredentials {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

export interface ServiceAccount {
  clientEmail: string;
  privateKeyId: string;
  privateKeyPem: string;
  credentialsJson: ServiceAccountCredentials;
}

export interface RegisteredAccount extends ServiceAccount {
  publicKey: KeyObject;
}

export function createServiceAccount(index: number, tokenUrl: string): RegisteredAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // PKCS#8 PEM is what Google's key files carry ("-----BEGIN PRIVATE KEY-----").
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clientEmail = `drive-sa-${index}@${PROJECT_ID}.iam.gserviceaccount.com`;
  const privateKeyId = randomBytes(20).toString('hex');
  const credentialsJson: ServiceAccountCredentials = {
    type: 'service_account',
    project_id: PROJECT_ID,
    private_key_id: privateKeyId,
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: String(randomInt(1e9, 2 ** 47)) + String(randomInt(1e6, 1e7)),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUrl,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: 'googleapis.com',
  };
  return { clientEmail, privateKeyId, privateKeyPem, credentialsJson, publicKey };
}

/** Writes the key file into `dir` (the caller owns and removes it) and returns its path. */
export function writeCredentialsFile(account: ServiceAccount, dir: string): string {
  const path = join(dir, `${account.privateKeyId}.json`);
  writeFileSync(path, JSON.stringify(account.credentialsJson, null, 2), { mode: 0o600 });
  return path;
}
