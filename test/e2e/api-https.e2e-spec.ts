import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RollcallClient, tlsFetch } from '../../src/sdk';
import { freePorts } from '../support/free-port';
import { NodeProcess, writeClusterConfig } from '../support/node-process';
import { waitFor } from '../support/poll';
import { everythingServed } from '../support/served';
import { makeTempDir } from '../support/temp-dir';
import { makeCa, makeLeaf, type TestCa } from '../support/test-certs';

/**
 * One real node serving its API over HTTPS (API_TLS_*), on the platform the project runs (this
 * spec is in both e2e projects: Fastify and Express).
 */
describe('the API over HTTPS', () => {
  const tmp = makeTempDir('rollcall-api-https-');
  let ca: TestCa;
  const nodes: NodeProcess[] = [];

  /** A one-node cluster (it leads itself) with API TLS, plus whatever `env` adds. */
  async function startNode(
    env: Record<string, string> = {},
    clientLeaf?: { certFile: string; keyFile: string },
  ): Promise<NodeProcess> {
    const [election, api] = await freePorts(2);
    const id = `127.0.0.1:${election}`;
    const dir = join(tmp.dir, `node-${election}`);
    mkdirSync(dir);
    const leaf = makeLeaf(tmp.dir, ca, `api-${election}`);
    const node = new NodeProcess({
      config: writeClusterConfig(dir, { peers: [id] }),
      thisNode: id,
      apiPort: api,
      dataDir: join(dir, 'data'),
      apiClientTls: { caFile: ca.certFile, ...clientLeaf },
      env: { API_TLS_CERT_FILE: leaf.certFile, API_TLS_KEY_FILE: leaf.keyFile, ...env },
    });
    nodes.push(node);
    await node.waitUntilServing();
    await waitFor('the node to lead', async () => (await node.health()).is_leader === true);
    return node;
  }

  beforeAll(() => {
    ca = makeCa(tmp.dir, 'api-ca');
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    tmp.cleanup();
  });

  it('serves the API, dashboard, SSE stream, /metrics and /docs over HTTPS only', async () => {
    const node = await startNode();
    const health = await node.health();
    expect(health).toMatchObject({ api_tls: true, peer_tls: false });
    expect(health.leader_api).toBe(node.url);
    expect(node.url).toMatch(/^https:\/\//);
    const served = await everythingServed(node.url, node.fetch);
    const status = (path: string) => served.get(path)?.split('\n')[0];
    for (const path of ['/', '/cluster', '/metrics', '/docs', '/docs-json', '/dashboard']) {
      expect({ path, status: status(path) }).toEqual({ path, status: '200' });
    }
    expect(served.get('/discover/stream')).toMatch(/^200\n[\s\S]*event: snapshot/);
    expect(served.get('/dashboard/main.js')?.split('\n')[0]).toBe('200');
    // Plain HTTP on the same port gets no answer from the API.
    const plain = await fetch(node.url.replace('https:', 'http:'), {
      signal: AbortSignal.timeout(2000),
    }).then(
      (res) => res.status,
      () => 'refused',
    );
    expect(plain).not.toBe(200);
  });

  it('registers and takes heartbeats from the SDK given the CA, and from no client without it', async () => {
    const node = await startNode();
    const client = new RollcallClient({
      nodes: [node.url],
      username: 'alice',
      addr: '10.0.0.1:9000',
      tls: { ca: readFileSync(ca.certFile) },
    });
    await client.register();
    await client.heartbeat();
    expect((await client.discover()).map((p) => p.username)).toEqual(['alice']);
    const untrusting = new RollcallClient({ nodes: [node.url], retryBudgetMs: 0 });
    await expect(untrusting.discover()).rejects.toThrow(/certificate/);
  });

  it('with API_TLS_CA_FILE, answers only clients presenting a certificate of that CA', async () => {
    const clientLeaf = makeLeaf(tmp.dir, ca, 'api-client');
    // The node is polled until serving with the client certificate, so it answers those.
    const node = await startNode({ API_TLS_CA_FILE: ca.certFile }, clientLeaf);
    expect((await node.fetch(`${node.url}/`)).status).toBe(200);
    const strangerCa = makeCa(tmp.dir, 'stranger-ca');
    const strangerLeaf = makeLeaf(tmp.dir, strangerCa, 'stranger');
    const refused = [
      tlsFetch({ ca: readFileSync(ca.certFile) }),
      tlsFetch({
        ca: readFileSync(ca.certFile),
        cert: readFileSync(strangerLeaf.certFile),
        key: readFileSync(strangerLeaf.keyFile),
      }),
    ];
    for (const f of refused) await expect(f(`${node.url}/`)).rejects.toThrow(/fetch failed/);
  });
});
