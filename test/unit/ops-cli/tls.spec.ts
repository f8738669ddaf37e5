import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { run } from '../../../src/ops-cli/program';
import { makeTempDir } from '../../support/temp-dir';
import { makeCa, makeLeaf, type LeafFiles, type TestCa } from '../../support/test-certs';
import { FakeNode, json } from '../sdk/fake-node';

/** `rollcall` against a node served over HTTPS with certificates made for the test. */
describe('rollcall over HTTPS', () => {
  const tmp = makeTempDir('rollcall-cli-tls-');
  let ca: TestCa;
  let otherCa: TestCa;
  let clientLeaf: LeafFiles;
  let server: ServerOptions;
  const nodes: FakeNode[] = [];

  beforeAll(() => {
    ca = makeCa(tmp.dir, 'api-ca');
    otherCa = makeCa(tmp.dir, 'other-ca');
    const leaf = makeLeaf(tmp.dir, ca, 'node');
    clientLeaf = makeLeaf(tmp.dir, ca, 'operator');
    server = { cert: readFileSync(leaf.certFile), key: readFileSync(leaf.keyFile) };
  });

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  afterAll(() => tmp.cleanup());

  /** A one-node cluster's leader, answering GET / and GET /cluster. */
  const leader = async (tls: ServerOptions) => {
    const node = await new FakeNode((req, _body, res) => {
      if (req.url === '/') {
        return json(res, 200, {
          node: '127.0.0.1:8080',
          is_leader: true,
          current_leader: '127.0.0.1:8080',
          term: 2,
          log: { last_index: 1, commit_index: 1, applied_index: 1, commit_lag: 0 },
        });
      }
      json(res, 200, { nodes: [] });
    }, tls).start();
    nodes.push(node);
    return node;
  };

  const rollcall = async (env: NodeJS.ProcessEnv, ...args: string[]) => {
    let out = '';
    let err = '';
    const code = await run(['status', '--json', ...args], {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env,
    });
    return { code, out, err };
  };

  it('reaches an https:// endpoint with --ca-file or ROLLCALL_CA_FILE', async () => {
    const node = await leader(server);
    const byFlag = await rollcall({ ROLLCALL_ENDPOINTS: node.url }, '--ca-file', ca.certFile);
    expect({ code: byFlag.code, leader: JSON.parse(byFlag.out).leader }).toEqual({
      code: 0,
      leader: '127.0.0.1:8080',
    });
    const byEnv = await rollcall({ ROLLCALL_ENDPOINTS: node.url, ROLLCALL_CA_FILE: ca.certFile });
    expect(byEnv.code).toBe(0);
  });

  it('refuses a certificate its CA did not sign, or with no CA: never skips verification', async () => {
    const node = await leader(server);
    for (const args of [['--ca-file', otherCa.certFile], []]) {
      const { code, out } = await rollcall({ ROLLCALL_ENDPOINTS: node.url }, ...args);
      expect(code).toBe(1);
      expect(JSON.parse(out).unreachable).toEqual([
        { endpoint: node.url, error: expect.stringMatching(/certificate/) },
      ]);
    }
    expect(node.requests).toEqual([]);
  });

  it('presents --cert-file/--key-file to a node that requires a client certificate', async () => {
    const node = await leader({
      ...server,
      ca: readFileSync(ca.certFile),
      requestCert: true,
      rejectUnauthorized: true,
    });
    const env = { ROLLCALL_ENDPOINTS: node.url, ROLLCALL_CA_FILE: ca.certFile };
    const withCert = await rollcall(
      env,
      ...['--cert-file', clientLeaf.certFile, '--key-file', clientLeaf.keyFile],
    );
    expect(withCert.code).toBe(0);
    expect((await rollcall(env)).code).toBe(1);
    const half = await rollcall(env, '--cert-file', clientLeaf.certFile);
    expect(half).toMatchObject({
      code: 2,
      err: expect.stringMatching(/both --cert-file and --key-file/),
    });
    const missing = await rollcall(env, '--ca-file', `${tmp.dir}/missing.pem`);
    expect(missing).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--ca-file .*missing\.pem: ENOENT/),
    });
  });
});
