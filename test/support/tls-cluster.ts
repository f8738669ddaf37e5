import { copyFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HealthDto } from '../../src/health/health.dto';
import { freePorts } from './free-port';
import { NodeProcess, writeClusterConfig } from './node-process';
import { PINNED_LOAD } from './pinned-load';
import { waitFor } from './poll';
import { makeTempDir } from './temp-dir';
import { makeCa, type TestCa } from './test-certs';

/** Where one node reads its certificates from: files a test may rewrite, as an operator would. */
export interface NodeTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/**
 * Real nodes on loopback with peer TLS and API TLS, each reading its own copy of the
 * certificate files (so a test can rotate them node by node). Every node's certificate names
 * 127.0.0.1; the clients' CA file (`clientCaFile`) is separate, as a client's would be.
 */
export class TlsCluster {
  readonly tmp = makeTempDir('rollcall-tls-cluster-');
  readonly nodes: NodeProcess[] = [];
  readonly files: NodeTlsFiles[] = [];
  ids: string[] = [];
  ca!: TestCa;
  clientCaFile = '';
  private apiPorts: number[] = [];
  private config = '';

  constructor(
    private readonly size: number,
    private readonly env: Record<string, string> = {},
  ) {}

  /** `clientTrust`: what the test's own requests trust (a bundle, for a rotation); `ca` if unset. */
  async start(
    leaf: { certFile: string; keyFile: string },
    ca: TestCa,
    clientTrust = ca.certFile,
  ): Promise<this> {
    this.ca = ca;
    const ports = await freePorts(2 * this.size);
    this.ids = ports.slice(0, this.size).map((p) => `127.0.0.1:${p}`);
    this.apiPorts = ports.slice(this.size);
    // No TLS test is about handing over for load: no leader_term_ms boundary falls within one.
    this.config = writeClusterConfig(this.tmp.dir, { peers: this.ids, leaderTermMs: 3_600_000 });
    this.clientCaFile = join(this.tmp.dir, 'client-ca.pem');
    copyFileSync(clientTrust, this.clientCaFile);
    for (let i = 0; i < this.size; i++) {
      const dir = join(this.tmp.dir, `tls-${i}`);
      mkdirSync(dir);
      this.files[i] = {
        certFile: join(dir, 'node.crt'),
        keyFile: join(dir, 'node.key'),
        caFile: join(dir, 'ca.pem'),
      };
      this.install(i, { ...leaf, caFile: ca.certFile });
      this.startNode(i);
    }
    try {
      await Promise.all(this.nodes.map((n) => n.waitUntilServing()));
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this;
  }

  /** Makes a CA in the cluster's directory. */
  makeCa(name: string): TestCa {
    return makeCa(this.tmp.dir, name);
  }

  startNode(i: number): NodeProcess {
    const f = this.files[i];
    const loadFile = join(this.tmp.dir, `cpu-${i}`);
    writeFileSync(loadFile, String(PINNED_LOAD));
    const node = new NodeProcess({
      config: this.config,
      thisNode: this.ids[i],
      apiPort: this.apiPorts[i],
      dataDir: join(this.tmp.dir, `data-${i}`),
      apiClientTls: { caFile: this.clientCaFile },
      env: {
        CPU_LOAD_FILE: loadFile,
        PEER_TLS_CERT_FILE: f.certFile,
        PEER_TLS_KEY_FILE: f.keyFile,
        PEER_TLS_CA_FILE: f.caFile,
        API_TLS_CERT_FILE: f.certFile,
        API_TLS_KEY_FILE: f.keyFile,
        ...this.env,
      },
    });
    this.nodes[i] = node;
    return node;
  }

  /**
   * Copies the given files over node `i`'s (each written whole under another name, then renamed
   * into place, as docs/security.md tells operators to).
   */
  install(i: number, from: Partial<NodeTlsFiles>): void {
    const to = this.files[i];
    for (const key of ['certFile', 'keyFile', 'caFile'] as const) {
      const source = from[key];
      if (!source) continue;
      copyFileSync(source, `${to[key]}.new`);
      renameSync(`${to[key]}.new`, to[key]);
    }
  }

  /** Writes `text` whole to `file`, by a rename. */
  static writeWhole(file: string, text: string | Buffer): void {
    writeFileSync(`${file}.new`, text);
    renameSync(`${file}.new`, file);
  }

  async health(i: number): Promise<HealthDto | null> {
    const node = this.nodes[i];
    if (!node?.running) return null;
    try {
      return await node.health();
    } catch {
      return null;
    }
  }

  /** One leader among the running nodes, named by all of them, serving leader-only routes. */
  async waitForLeader(timeoutMs = 15_000): Promise<number> {
    return waitFor(
      'one leader among the running nodes',
      async () => {
        const running = this.nodes.map((n, i) => (n.running ? i : -1)).filter((i) => i >= 0);
        const hs = await Promise.all(running.map((i) => this.health(i)));
        if (hs.some((h) => h === null)) return undefined;
        const leaders = running.filter((_, k) => hs[k]?.is_leader);
        if (leaders.length !== 1) return undefined;
        if (!hs.every((h) => h?.current_leader === this.ids[leaders[0]])) return undefined;
        const node = this.nodes[leaders[0]];
        const res = await node.fetch(`${node.url}/users`);
        return res.status === 200 ? leaders[0] : undefined;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    this.tmp.cleanup();
  }
}
