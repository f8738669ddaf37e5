import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { describeNeeding } from '../support/ci';
import { TestCluster } from '../support/cluster';
import { waitFor } from '../support/poll';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

// Developers without Debian's Chromium may skip this; CI may not (.ci/run installs it), so
// there a missing browser fails the launch instead of passing silently.
const describeInBrowser = describeNeeding(
  existsSync(CHROMIUM),
  `${CHROMIUM} is missing; apt-get install -y chromium`,
);

interface ShownNode {
  node: string;
  role: string;
  leader: boolean;
  reachable: boolean;
}

/** The nodes table as the page shows it (rows carry data-* for exactly this). */
function shownNodes(page: Page): Promise<ShownNode[]> {
  return page.$$eval('#nodes tr[data-node]', (rows) =>
    rows.map((r) => ({
      node: r.getAttribute('data-node') ?? '',
      role: r.getAttribute('data-role') ?? '',
      leader: r.getAttribute('data-leader') === 'true',
      reachable: r.getAttribute('data-reachable') === 'true',
    })),
  );
}

describeInBrowser('GET /dashboard in Chromium', () => {
  let cluster: TestCluster;
  let browser: Browser | undefined;
  afterEach(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it('shows three nodes and one leader from a follower, and the new leader after a kill', async () => {
    cluster = await new TestCluster({ size: 3 }).start();
    const leader = await cluster.waitForLeader();
    const follower = [0, 1, 2].find((i) => i !== leader) ?? 0;
    const leaderUrl = cluster.url(leader);
    const clients = [
      ['alice', '192.168.1.10:9000'],
      ['bob', '192.168.1.11:9001'],
      ['carol', '192.168.1.12:9002'],
    ];
    for (const [username, addr] of clients) {
      const post = (path: string, body: object) =>
        fetch(`${leaderUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
      expect((await post('/register', { username, addr })).status).toBe(200);
      expect((await post('/heartbeat', { username })).status).toBe(200);
    }

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const origin = cluster.url(follower);
    const elsewhere: string[] = [];
    const pageErrors: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(`${origin}/`)) elsewhere.push(req.url());
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Live means without reloading: the page must be navigated to once, by the test.
    let loads = 0;
    page.on('load', () => loads++);
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`${msg.text()} ${msg.location().url}`);
    });
    await page.goto(`${origin}/dashboard`);

    const oldLeader = cluster.ids[leader];
    await waitFor(
      'three nodes and one leader on the page',
      async () => {
        const nodes = await shownNodes(page);
        const leaders = nodes.filter((n) => n.leader);
        return nodes.length === 3 && leaders.length === 1 && leaders[0].node === oldLeader;
      },
      20_000,
    );
    expect((await shownNodes(page)).map((n) => n.node).sort()).toEqual([...cluster.ids].sort());
    // The follower's shadow of who is online, with addresses and heartbeat ages.
    await waitFor('the online clients on the page', async () => {
      const text = await page.locator('#clients').innerText();
      return clients.every(([name, addr]) => text.includes(name) && text.includes(addr));
    });
    // The follower applies registrations a heartbeat after they commit.
    await waitFor(
      'three registered on the page',
      async () => (await page.locator('#registered').innerText()) === '3',
    );
    expect(await page.locator('#events').innerText()).toMatch(/election/i);

    await cluster.node(leader).kill();
    const killedAt = performance.now();
    cluster.nodes[leader] = null;
    // When the served node itself knew, to tell the page's delay from the election's.
    let nodeKnewMs: number | null = null;
    const nodeKnew = waitFor('the follower to name a new leader', async () => {
      const res = await fetch(`${origin}/cluster`);
      const body = (await res.json()) as { leader: string | null };
      if (body.leader === null || body.leader === oldLeader) return undefined;
      nodeKnewMs = performance.now() - killedAt;
      return true;
    });
    const newLeader = await waitFor(
      'the page to show a new leader',
      async () => {
        const shown = (await shownNodes(page)).filter((n) => n.leader);
        return shown.length === 1 && shown[0].node !== oldLeader ? shown[0].node : undefined;
      },
      20_000,
    );
    const pageShowedMs = performance.now() - killedAt;
    await nodeKnew;
    console.log(
      `dashboard: leader killed, page showed ${newLeader} after ${pageShowedMs.toFixed(0)} ms ` +
        `(its node knew after ${nodeKnewMs ?? NaN} ms)`,
    );
    expect(cluster.ids).toContain(newLeader);
    await waitFor('the killed node shown unreachable', async () =>
      (await shownNodes(page)).some((n) => n.node === oldLeader && !n.reachable),
    );

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(loads).toBe(1);
    expect(elsewhere).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
