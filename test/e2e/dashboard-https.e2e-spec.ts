import type { Browser } from 'playwright-core';
import { describeInBrowserTrusting, launchChromium } from '../support/chromium';
import { waitFor } from '../support/poll';
import { makeTempDir } from '../support/temp-dir';
import { makeCa, makeLeaf } from '../support/test-certs';
import { TlsCluster } from '../support/tls-cluster';

/** The dashboard of a cluster with peer TLS and API TLS, in Chromium over verified HTTPS. */
describeInBrowserTrusting('GET /dashboard over HTTPS in Chromium', () => {
  const tmp = makeTempDir('rollcall-dashboard-https-');
  const cluster = new TlsCluster(3);
  let caFile = '';
  const browsers: Browser[] = [];

  beforeAll(async () => {
    const ca = makeCa(tmp.dir, 'cluster-ca');
    caFile = ca.certFile;
    await cluster.start(makeLeaf(tmp.dir, ca, 'node'), ca);
  });

  afterAll(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await cluster.stop();
    tmp.cleanup();
  });

  it('shows the three nodes, one leader and their https:// APIs from a follower', async () => {
    const leader = await cluster.waitForLeader();
    const follower = (leader + 1) % 3;
    const browser = await launchChromium({ caFile, home: tmp.dir });
    browsers.push(browser);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const origin = cluster.nodes[follower].url;
    expect(origin).toMatch(/^https:\/\//);
    await page.goto(`${origin}/dashboard`);
    const rows = await waitFor(
      'three nodes and one leader on the page',
      async () => {
        const shown = await page.$$eval('#nodes tr[data-node]', (trs) =>
          trs.map((r) => ({
            node: r.getAttribute('data-node') ?? '',
            leader: r.getAttribute('data-leader') === 'true',
            text: r.textContent ?? '',
          })),
        );
        const leaders = shown.filter((r) => r.leader);
        return shown.length === 3 && leaders.length === 1 && leaders[0].node === cluster.ids[leader]
          ? shown
          : undefined;
      },
      20_000,
    );
    // Every member's API, as the page shows it, is an https:// URL.
    for (const row of rows) expect(row.text).toMatch(/https:\/\/127\.0\.0\.1:\d+/);
    expect(pageErrors).toEqual([]);
  });

  it('is refused by a Chromium that does not trust the CA: verification was real', async () => {
    const browser = await launchChromium();
    browsers.push(browser);
    const page = await browser.newPage();
    await expect(page.goto(`${cluster.nodes[0].url}/dashboard`)).rejects.toThrow(/ERR_CERT/);
  });
});
