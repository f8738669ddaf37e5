import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { RollcallClient, UnreachableError, type WatchEvent } from '../../../src/sdk';
import { waitFor } from '../../support/poll';
import { makeTempDir } from '../../support/temp-dir';
import { makeCa, makeLeaf, type TestCa } from '../../support/test-certs';
import { FakeNode, json } from './fake-node';

/** The SDK against fake nodes served over real HTTPS with certificates made for the test. */
describe('RollcallClient over HTTPS', () => {
  const tmp = makeTempDir('rollcall-sdk-tls-');
  let ca: TestCa;
  let otherCa: TestCa;
  let server: ServerOptions;
  const nodes: FakeNode[] = [];
  const pem = (file: string) => readFileSync(file);

  beforeAll(() => {
    ca = makeCa(tmp.dir, 'api-ca');
    otherCa = makeCa(tmp.dir, 'other-ca');
    const leaf = makeLeaf(tmp.dir, ca, 'node');
    server = { cert: pem(leaf.certFile), key: pem(leaf.keyFile) };
  });

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  afterAll(() => tmp.cleanup());

  const discovering = (tls: ServerOptions) =>
    new FakeNode((req, _body, res) => {
      if (req.url === '/discover') {
        return json(res, 200, { online_clients: [{ username: 'bob' }], count: 1 });
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        'event: snapshot\nid: 1-0\ndata: {"online_clients":[{"username":"a","addr":"1.1.1.1:1"}],"count":1}\n\n',
      );
      // Held open, as a live stream is, until the watcher stops.
    }, tls).start();

  const client = (url: string, tls?: RollcallClientOptions['tls']) =>
    new RollcallClient({ nodes: [url], username: 'alice', retryBudgetMs: 0, tls });

  type RollcallClientOptions = ConstructorParameters<typeof RollcallClient>[0];

  it('talks to an https:// node whose certificate chains to the given CA, streams included', async () => {
    const node = await discovering(server);
    nodes.push(node);
    expect(node.url).toMatch(/^https:\/\//);
    const c = client(node.url, { ca: pem(ca.certFile) });
    expect(await c.discover()).toEqual([{ username: 'bob' }]);
    const seen: WatchEvent[] = [];
    const watcher = c.watch((event) => seen.push(event));
    await waitFor('the snapshot over HTTPS', () => seen.length >= 1);
    await watcher.stop();
    expect(seen[0]).toEqual({ type: 'snapshot', clients: [{ username: 'a', addr: '1.1.1.1:1' }] });
  });

  it('refuses a node its CA did not sign, and one with no CA given: never unverified', async () => {
    const node = await discovering(server);
    nodes.push(node);
    for (const tls of [{ ca: pem(otherCa.certFile) }, undefined]) {
      const failure = client(node.url, tls).discover();
      await expect(failure).rejects.toBeInstanceOf(UnreachableError);
      await expect(failure).rejects.toThrow(/certificate/);
    }
    // Nothing reached the node's routes.
    expect(node.requests).toEqual([]);
  });

  it('presents a client certificate to a node that requires one', async () => {
    const clientLeaf = makeLeaf(tmp.dir, ca, 'client');
    const node = await discovering({
      ...server,
      ca: pem(ca.certFile),
      requestCert: true,
      rejectUnauthorized: true,
    });
    nodes.push(node);
    const withCert = client(node.url, {
      ca: pem(ca.certFile),
      cert: pem(clientLeaf.certFile),
      key: pem(clientLeaf.keyFile),
    });
    expect(await withCert.discover()).toEqual([{ username: 'bob' }]);
    await expect(client(node.url, { ca: pem(ca.certFile) }).discover()).rejects.toBeInstanceOf(
      UnreachableError,
    );
    expect(node.requests).toHaveLength(1);
  });
});
