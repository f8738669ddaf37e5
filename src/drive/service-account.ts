import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The two fields of a service-account key file that the JWT-bearer grant needs. */
export interface ServiceAccount {
  clientEmail: string;
  privateKey: string;
}

/** The key file is missing, unreadable or not a service-account key: the operator must fix it. */
export class CredentialsError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'CredentialsError';
  }
}

/** Reads and checks a service-account key file, as downloaded from the Cloud console. */
export function loadServiceAccount(file: string): ServiceAccount {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CredentialsError(
      file,
      code === 'ENOENT' ? 'file not found' : `cannot read: ${code ?? String(err)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CredentialsError(file, 'not valid JSON');
  }
  const key = json as Record<string, unknown> | null;
  if (typeof key !== 'object' || key === null) {
    throw new CredentialsError(file, 'not a service-account key (expected a JSON object)');
  }
  if (key.type !== undefined && key.type !== 'service_account') {
    throw new CredentialsError(
      file,
      `type is ${JSON.stringify(key.type)}; a service-account key ("service_account") is needed`,
    );
  }
  if (typeof key.client_email !== 'string' || key.client_email === '') {
    throw new CredentialsError(file, 'client_email is missing');
  }
  if (typeof key.private_key !== 'string' || key.private_key === '') {
    throw new CredentialsError(file, 'private_key is missing');
  }
  try {
    createPrivateKey(key.private_key);
  } catch {
    throw new CredentialsError(file, 'private_key is not a PEM private key');
  }
  return { clientEmail: key.client_email, privateKey: key.private_key };
}
