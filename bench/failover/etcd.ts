import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child, removeTempDir, trackTempDir } from '../lib/children';
import { jsonOf, LOOPBACK, loopbackRequest } from '../lib/loopback-http';
import { freePorts } from '../lib/ports';
import { waitFor, within } from '../lib/time';
import type { FailoverSystem } from './system';

export type EtcdAvailability =
  | { available: true; binary: string; version: string; installedNow: boolean }
  | { available: false; reason: string };

export interface EtcdTimings {
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
}

const PROBE_TIMEOUT_MS = 500;
/** base64("x"): the key of the linearizable read. */
const READ_KEY = Buffer.from('x').toString('base64');

function run(command: string, args: string[], timeoutMs: number) {
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return { ok: r.status === 0, out, error: r.error?.message };
}

function etcdVersion(): string | null {
  const r = run('etcd', ['--version'], 10_000);
  if (!r.ok) return null;
  return /etcd Version:\s*(\S+)/.exec(r.out)?.[1] ?? r.out.split('\n')[0];
}

/**
 * etcd from Debian's etcd-server package. When it is missing and we are root, installs it with
 * apt-get (updating the package lists first only if apt knows no candidate for it).
 */
export function ensureEtcd(log: (line: string) => void): EtcdAvailability {
  const have = etcdVersion();
  if (have) return { available: true, binary: 'etcd', version: have, installedNow: false };
  if (process.getuid?.() !== 0) {
    return {
      available: false,
      reason: 'etcd is not installed and the bench is not root (apt-get install etcd-server)',
    };
  }
  const policy = run('apt-cache', ['policy', 'etcd-server'], 60_000);
  if (policy.error) return { available: false, reason: `apt-cache: ${policy.error}` };
  if (!/Candidate:\s*(?!\(none\))\S+/.test(policy.out)) {
    log('etcd: apt knows no etcd-server candidate; running apt-get update');
    const update = run('apt-get', ['update'], 300_000);
    if (!update.ok) {
      return { available: false, reason: `apt-get update failed: ${lastLine(update.out)}` };
    }
  }
  log('etcd: installing etcd-server and etcd-client with apt-get');
  const install = run('apt-get', ['install', '-y', 'etcd-server', 'etcd-client'], 600_000);
  if (!install.ok) {
    return {
      available: false,
      reason: `apt-get install etcd-server failed: ${install.error ?? lastLine(install.out)}`,
    };
  }
  const version = etcdVersion();
  if (!version) return { available: false, reason: 'etcd installed but `etcd --version` fails' };
  return { available: true, binary: 'etcd', version, installedNow: true };
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter(Boolean);
  return lines[lines.length - 1] ?? '(no output)';
}

interface MemberStatus {
  memberId: string;
  leader: string;
  raftTerm: string;
}

/** A three-member etcd cluster on loopback, each member with its own data dir. */
export class EtcdCluster implements FailoverSystem {
  readonly kind = 'etcd';
  private readonly dir: string;
  private readonly members: (Child | null)[] = [];
  private clientPorts: number[] = [];
  private peerPorts: number[] = [];
  private readonly token = `rollcall-bench-${randomBytes(6).toString('hex')}`;

  constructor(
    private readonly binary: string,
    private readonly timings: EtcdTimings,
    readonly size = 3,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'etcd-bench-'));
    trackTempDir(this.dir);
  }

  async start(): Promise<void> {
    const ports = await freePorts(2 * this.size);
    this.clientPorts = ports.slice(0, this.size);
    this.peerPorts = ports.slice(this.size);
    for (let i = 0; i < this.size; i++) this.spawn(i);
    await Promise.all(this.clientPorts.map((_, i) => this.waitServing(i, 30_000)));
  }

  private name(i: number): string {
    return `m${i}`;
  }

  private spawn(i: number): void {
    const peer = (k: number) => `http://${LOOPBACK}:${this.peerPorts[k]}`;
    const client = `http://${LOOPBACK}:${this.clientPorts[i]}`;
    const initialCluster = this.peerPorts.map((_, k) => `${this.name(k)}=${peer(k)}`).join(',');
    // On a restart the data dir exists and etcd ignores the --initial-* flags.
    const args = [
      `--name=${this.name(i)}`,
      `--data-dir=${join(this.dir, this.name(i))}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer(i)}`,
      `--initial-advertise-peer-urls=${peer(i)}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=${this.token}`,
      `--heartbeat-interval=${this.timings.heartbeatIntervalMs}`,
      `--election-timeout=${this.timings.electionTimeoutMs}`,
      '--logger=zap',
      '--log-level=warn',
    ];
    this.members[i] = new Child(this.memberName(i), this.binary, args, {
      PATH: process.env.PATH,
    });
  }

  private async waitServing(i: number, timeoutMs: number): Promise<void> {
    await waitFor(
      `${this.memberName(i)} to answer /v3/maintenance/status`,
      async () => {
        const m = this.members[i];
        if (!m?.running) throw new Error(`exited: ${m?.tail.slice(-5).join(' | ')}`);
        return (await this.status(i)) !== null;
      },
      timeoutMs,
    );
  }

  private async status(i: number): Promise<MemberStatus | null> {
    try {
      const res = await loopbackRequest(
        this.clientPorts[i],
        'POST',
        '/v3/maintenance/status',
        PROBE_TIMEOUT_MS,
        '{}',
      );
      const body = res.status === 200 ? jsonOf(res) : null;
      const header = body?.header as Record<string, unknown> | undefined;
      const memberId = header?.member_id;
      if (typeof memberId !== 'string' || typeof body?.leader !== 'string') return null;
      return { memberId, leader: body.leader, raftTerm: String(body.raftTerm) };
    } catch {
      return null;
    }
  }

  /** A linearizable (default) range read served by member i. */
  private async linearizableRead(i: number): Promise<boolean> {
    try {
      const res = await loopbackRequest(
        this.clientPorts[i],
        'POST',
        '/v3/kv/range',
        PROBE_TIMEOUT_MS,
        JSON.stringify({ key: READ_KEY }),
      );
      return res.status === 200 && jsonOf(res)?.header !== undefined;
    } catch {
      return false;
    }
  }

  async waitHealthy(timeoutMs: number): Promise<number> {
    return waitFor(
      'one etcd leader that every member agrees on',
      async () => {
        const ss = await Promise.all(this.clientPorts.map((_, i) => this.status(i)));
        if (ss.some((s) => s === null || s.leader === '0')) return undefined;
        const leader = ss.findIndex((s) => s?.memberId === s?.leader);
        if (leader < 0) return undefined;
        const first = ss[0] as MemberStatus;
        if (!ss.every((s) => s?.leader === first.leader && s.raftTerm === first.raftTerm)) {
          return undefined;
        }
        return (await this.linearizableRead(leader)) ? leader : undefined;
      },
      timeoutMs,
      50,
    );
  }

  /** Member i says it is the leader and serves a linearizable read. */
  async servesAsLeader(i: number): Promise<boolean> {
    const s = await this.status(i);
    if (s === null || s.memberId !== s.leader) return false;
    return this.linearizableRead(i);
  }

  signal(i: number, sig: NodeJS.Signals): void {
    this.members[i]?.signal(sig);
  }

  async waitExit(i: number, timeoutMs: number) {
    const m = this.members[i];
    if (!m) return { code: null, signal: null };
    const gone = await within(m.exited, timeoutMs, null);
    if (gone) return gone;
    await m.kill();
    return { code: null, signal: `SIGKILL after ${timeoutMs} ms` };
  }

  async restart(i: number): Promise<void> {
    if (this.members[i]?.running) throw new Error(`${this.memberName(i)} is still running`);
    this.spawn(i);
    await this.waitServing(i, 30_000);
  }

  memberName(i: number): string {
    return `etcd ${this.name(i)} :${this.clientPorts[i] ?? '?'}`;
  }

  lineMark(i: number): number {
    return this.members[i]?.lineCount ?? 0;
  }

  linesSince(i: number, mark: number): string[] {
    return this.members[i]?.linesSince(mark) ?? [];
  }

  tail(i: number): string[] {
    return [...(this.members[i]?.tail ?? [])];
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m?.kill() ?? Promise.resolve()));
    removeTempDir(this.dir);
  }
}
