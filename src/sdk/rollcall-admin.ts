import { DEFAULT_BACKOFF } from './backoff';
import { errorFor } from './errors';
import { hasTlsOptions, type TlsClientOptions, tlsFetch } from './tls-fetch';
import { LeaderTransport, type TransportDeps } from './transport';

export interface RollcallAdminOptions {
  /** Any nodes of the cluster: `http(s)://host:port` or `host:port` (their HTTP API). */
  nodes: string[];
  /** The cluster's ADMIN_TOKEN. */
  token?: string;
  /** How long one call keeps retrying an election or unreachable nodes (default 10 s). */
  retryBudgetMs?: number;
  /** Bound on one HTTP exchange (default 5 s; a leader transfer waits for the handover). */
  requestTimeoutMs?: number;
  /** For https:// nodes: the CA to trust (and a client certificate). Verification is never off. */
  tls?: TlsClientOptions;
  /** For tests. */
  fetch?: typeof fetch;
}

/** A member as GET /cluster/members lists it (docs/api.md). */
export interface ClusterMember {
  node: string;
  api_url: string;
  role: 'voter' | 'learner';
  match_index: number;
  reachable: boolean;
}

export interface MemberList {
  members: ClusterMember[];
  config_index: number;
}

/** What POST /cluster/leader/transfer answers. */
export interface TransferAnswer {
  message: string;
  previous_leader: string;
  current_leader: string;
  leader_api: string | null;
  term: number;
}

/**
 * The admin routes of a cluster (the `rollcall` CLI is built on it): follows the leader like
 * RollcallClient, sending `Authorization: Bearer <token>` with every call.
 */
export class RollcallAdmin {
  private readonly transport: LeaderTransport;

  constructor(private readonly opts: RollcallAdminOptions) {
    const deps: TransportDeps = {
      fetch: opts.fetch ?? (hasTlsOptions(opts.tls) ? tlsFetch(opts.tls) : fetch),
      random: Math.random,
      now: () => performance.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
    const nodes = opts.nodes.map((n) => (/^https?:\/\//.test(n) ? n : `http://${n}`));
    this.transport = new LeaderTransport(
      nodes.map((n) => n.replace(/\/+$/, '')),
      deps,
      {
        backoff: DEFAULT_BACKOFF,
        retryBudgetMs: opts.retryBudgetMs ?? 10_000,
        requestTimeoutMs: opts.requestTimeoutMs ?? 5_000,
      },
    );
  }

  /** The leader's API as last seen. */
  get leader(): string | null {
    return this.transport.currentLeader;
  }

  /** GET /cluster/snapshot: the snapshot file's bytes, as the leader streams them. */
  async snapshot(): Promise<ReadableStream<Uint8Array>> {
    const res = await this.transport.open(
      '/cluster/snapshot',
      this.auth(),
      new AbortController().signal,
    );
    if (!res.ok || !res.body) {
      const text = await res.text();
      throw errorFor(res.status, text ? (JSON.parse(text) as unknown) : null);
    }
    return res.body;
  }

  transferLeader(to?: string): Promise<TransferAnswer> {
    return this.call('POST', '/cluster/leader/transfer', to === undefined ? {} : { to });
  }

  members(): Promise<MemberList> {
    return this.call('GET', '/cluster/members');
  }

  addMember(node: string, apiUrl: string, learner: boolean): Promise<MemberList> {
    const role = learner ? 'learner' : 'voter';
    const body = { node, api_url: apiUrl, learner };
    return this.change('POST', '/cluster/members', body, (list) =>
      list.members.some((m) => m.node === node && m.role === role),
    );
  }

  promoteMember(node: string): Promise<MemberList> {
    const path = `/cluster/members/${encodeURIComponent(node)}/promote`;
    return this.change('POST', path, {}, (list) =>
      list.members.some((m) => m.node === node && m.role === 'voter'),
    );
  }

  removeMember(node: string): Promise<MemberList> {
    const path = `/cluster/members/${encodeURIComponent(node)}`;
    return this.change('DELETE', path, undefined, (list) =>
      list.members.every((m) => m.node !== node),
    );
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const answer = await this.transport.request(method, path, body, this.auth());
    if (answer.status >= 200 && answer.status < 300) return answer.body as T;
    throw errorFor(answer.status, answer.body);
  }

  /**
   * A membership change. Its answer can be lost after the change was made (a timeout, or a 503
   * as leadership moved under load), and the transport's retry then meets the change already
   * made: 404 `unknown` (removed) or 409 `invalid` (already a learner, a voter). The server
   * judges those only once the configuration in force is committed, so after such an
   * ambiguous attempt the member list decides: if it says what was asked, that is the answer.
   */
  private async change(
    method: string,
    path: string,
    body: unknown,
    done: (list: MemberList) => boolean,
  ): Promise<MemberList> {
    const answer = await this.transport.request(method, path, body, this.auth());
    if (answer.status >= 200 && answer.status < 300) return answer.body as MemberList;
    const reason = (answer.body as { reason?: unknown } | null)?.reason;
    const madeAlready =
      (answer.status === 404 && reason === 'unknown') ||
      (answer.status === 409 && reason === 'invalid');
    if (answer.ambiguous && madeAlready) {
      const list = await this.members();
      if (done(list)) return list;
    }
    throw errorFor(answer.status, answer.body);
  }

  private auth(): Record<string, string> {
    return this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {};
  }
}
