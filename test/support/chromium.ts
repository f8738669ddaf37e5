import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describeNeeding } from './ci';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * A describe for the browser specs: developers without Debian's Chromium may skip them; CI may
 * not (.ci/run installs it), so there a missing browser fails the launch instead of passing.
 */
export const describeInBrowser = describeNeeding(
  existsSync(CHROMIUM),
  `${CHROMIUM} is missing; apt-get install -y chromium`,
);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
}
