// Drive's module alone: the root 'googleapis' brings the types of every Google API (3 million
// lines), which every type-checked program (tsc, ESLint) would parse.
import { auth as googleAuth, drive, type drive_v3 } from 'googleapis/build/src/apis/drive';
import type { DriveEmulator, ServiceAccount } from './index';
import { accessTokenFor } from './sign-assertion';

/**
 * The real googleapis Drive client pointed at the emulator, authorised with a token obtained
 * over HTTP; gaxios's own retries are off so each test sees exactly one attempt per call.
 *
 * gaxios 7 otherwise loads node-fetch with a dynamic import(), which Jest's CommonJS runtime
 * refuses ("invoked without --experimental-vm-modules"); Node's own fetch sidesteps that.
 */
export async function driveClientFor(
  emulator: DriveEmulator,
  account: ServiceAccount,
): Promise<drive_v3.Drive> {
  const auth = new googleAuth.OAuth2();
  auth.setCredentials({ access_token: await accessTokenFor(account, emulator.tokenUrl) });
  return drive({
    version: 'v3',
    auth,
    rootUrl: emulator.rootUrl,
    retry: false,
    fetchImplementation: fetch,
  });
}
