import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

// Developers without Debian's Chromium may skip the browser specs; CI may not (.ci/run installs
// it), so there a missing browser fails the launch instead of passing silently.
const canRun = existsSync(CHROMIUM) || Boolean(process.env.CI);
const skipped = canRun ? '' : ` (skipped: ${CHROMIUM} is missing; apt-get install -y chromium)`;

/** A describe that runs where Chromium can, and says in its title why it was skipped if not. */
export function describeInBrowser(title: string, body: () => void): void {
  (canRun ? describe : describe.skip)(`${title}${skipped}`, body);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
}
