import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeInBrowser, launchChromium } from '../support/chromium';
import { freePorts } from '../support/free-port';
import { type InProcessNode, startInProcessNode } from '../support/in-process-node';
import { NodeProcess, writeClusterConfig } from '../support/node-process';
import { waitFor } from '../support/poll';
import { copyProjectForNest, NEST_CLI } from '../support/project-copy';
import { makeTempDir } from '../support/temp-dir';

/**
 * `nest build` compiles the server, then the node starts: 10 to 40 s on two shared cores. The
 * bound is for the build, which no other spec waits on; the node's own start is the usual few s.
 */
const NEST_START_MS = 120_000;
const NODE_ROW = '#nodes tr[data-node]';

async function openDashboard(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${url}/dashboard`);
  return page;
}

/**
 * Issue 18: the dashboard's browser code must reach dist/ however a node is built, not only by
 * `npm run build`. The Nest CLI runs here as a user would run it, in a copy of the project, since
 * it deletes and rewrites the dist/ that the other specs run from.
 */
describeInBrowser('the dashboard from `nest start`', () => {
  let project: ReturnType<typeof makeTempDir>;
  let node: NodeProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(() => {
    project = makeTempDir('rollcall-nest-');
    copyProjectForNest(project.dir);
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    await node?.kill();
    node = undefined;
  });
  afterAll(() => project.cleanup());

  /** A one-node cluster started by `nest start [nestArgs]` in the copy. */
  async function nestStart(...nestArgs: string[]): Promise<NodeProcess> {
    const [apiPort, electionPort] = await freePorts(2);
    node = new NodeProcess({
      config: writeClusterConfig(project.dir, { peers: [`127.0.0.1:${electionPort}`] }),
      apiPort,
      dataDir: join(project.dir, `data-${apiPort}`),
      launcher: { args: [NEST_CLI, 'start', ...nestArgs, '--'], cwd: project.dir },
    });
    await node.waitUntilServing(NEST_START_MS);
    return node;
  }

  async function servedScript(url: string): Promise<Response> {
    return fetch(`${url}/dashboard/main.js`, { signal: AbortSignal.timeout(2000) });
  }

  it(
    'serves the script, which draws the node on the page and takes the no-script notice away',
    async () => {
      const { url } = await nestStart();
      const script = await servedScript(url);
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');

      browser = await launchChromium();
      const page = await openDashboard(browser, url);
      await waitFor('the node drawn on the page', async () => (await page.$$(NODE_ROW)).length);
      expect(await page.locator(NODE_ROW).getAttribute('data-leader')).toBe('true');
      expect(await page.getByRole('alert').count()).toBe(0);
    },
    NEST_START_MS + 30_000,
  );

  it(
    'under --watch serves the script as it is edited',
    async () => {
      const { url } = await nestStart('--watch');
      expect((await servedScript(url)).status).toBe(200);

      const edit = `\n// edited while the node runs: ${Date.now()}\n`;
      appendFileSync(join(project.dir, 'src', 'dashboard', 'public', 'main.js'), edit);
      await waitFor('the edited script served', async () =>
        (await (await servedScript(url)).text()).endsWith(edit),
      );
    },
    NEST_START_MS + 30_000,
  );
});

describeInBrowser('the dashboard without its script', () => {
  let node: InProcessNode | undefined;
  let browser: Browser | undefined;
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    await node?.close();
    node = undefined;
  });

  it('says on the page that /dashboard/main.js did not load, not "connecting…"', async () => {
    node = await startInProcessNode();
    browser = await launchChromium();
    const page = await browser.newPage();
    // As a node built without it answers (issue 18).
    await page.route('**/dashboard/main.js', (route) =>
      route.fulfill({ status: 404, contentType: 'application/json', body: '{}' }),
    );
    await page.goto(`http://127.0.0.1:${node.port}/dashboard`);

    const notice = page.getByRole('alert');
    await waitFor('the notice shown', () => notice.isVisible());
    expect(await notice.innerText()).toContain('/dashboard/main.js');
    expect(await page.locator('#status').innerText()).not.toMatch(/connecting/);
  });
});
