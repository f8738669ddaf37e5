import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { describeNeeding } from './ci';

export const CHROMIUM = '/usr/bin/chromium';
/** NSS's certutil (Debian's libnss3-tools), which makes Chromium trust a test's CA. */
export const CERTUTIL = '/usr/bin/certutil';

/**
 * A describe for the browser specs: developers without Debian's Chromium may skip them; CI may
 * not (.ci/run installs it), so there a missing browser fails the launch instead of passing.
 */
export const describeInBrowser = describeNeeding(
  existsSync(CHROMIUM),
  `${CHROMIUM} is missing; apt-get install -y chromium`,
);

/** The browser specs over HTTPS also need certutil; CI installs both. */
export const describeInBrowserTrusting = describeNeeding(
  existsSync(CHROMIUM) && existsSync(CERTUTIL),
  `${CHROMIUM} or ${CERTUTIL} is missing; apt-get install -y chromium libnss3-tools`,
);

/**
 * Chromium, trusting the CA in `caFile` when given: Chromium on Linux reads the user's NSS
 * database ($HOME/.pki/nssdb), so the CA is added to one in `home`, a directory the test owns,
 * and the browser runs with that HOME. Nothing else is trusted, and nothing is skipped.
 */
export function launchChromium(trust?: { caFile: string; home: string }): Promise<Browser> {
  let env: Record<string, string> | undefined;
  if (trust) {
    const db = join(trust.home, '.pki', 'nssdb');
    mkdirSync(db, { recursive: true });
    execFileSync(CERTUTIL, ['-N', '-d', `sql:${db}`, '--empty-password']);
    execFileSync(CERTUTIL, [
      '-A',
      '-d',
      `sql:${db}`,
      '-t',
      'C,,',
      '-n',
      'test-ca',
      '-i',
      trust.caFile,
    ]);
    env = { ...(process.env as Record<string, string>), HOME: trust.home };
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
    env,
  });
}
