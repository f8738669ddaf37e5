import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER_CONFIG, type ClusterConfig } from '../config/cluster-config';

/** The members a running cluster lists, as a joining node starts from them. */
export interface JoinedMembership {
  voters: string[];
  learners: string[];
  /** Where the answer came from (the leader's API). */
  from: string;
}

/** How long a joining node keeps asking (an election, a member restarting) before it gives up. */
const JOIN_BUDGET_MS = 60_000;
const RETRY_MS = 500;

/**
 * `--join <API URL>`: a node with an empty data directory asks a member for the membership
 * (GET /cluster/members, with ADMIN_TOKEN) instead of trusting config.toml's peers, following
 * a follower's 403 to the leader. The one HTTP call the node makes to another node's API.
 */
@Injectable()
export class MembershipJoin {
  private readonly logger = new Logger('Membership');

  constructor(@Inject(CLUSTER_CONFIG) private readonly config: ClusterConfig) {}

  async fetch(url: string): Promise<JoinedMembership> {
    const token = this.config.adminToken;
    if (token === null) {
      throw new Error(
        '--join needs ADMIN_TOKEN (or ADMIN_TOKEN_FILE): the member list is an admin route',
      );
    }
    const deadline = Date.now() + JOIN_BUDGET_MS;
    let at = url.replace(/\/+$/, '');
    let problem = '';
    while (Date.now() < deadline) {
      const answer = await this.ask(at, token.authorization()).catch((err: Error) => ({
        problem: err.message,
      }));
      if ('voters' in answer) return answer;
      if ('leader' in answer) {
        at = answer.leader;
        continue;
      }
      if (answer.problem !== problem)
        this.logger.warn(`joining through ${at}: ${answer.problem}; retrying`);
      problem = answer.problem;
      await sleep(RETRY_MS);
    }
    throw new Error(
      `could not learn the membership from ${url} within ${JOIN_BUDGET_MS} ms: ${problem}`,
    );
  }

  private async ask(
    at: string,
    authorization: string,
  ): Promise<JoinedMembership | { leader: string } | { problem: string }> {
    const res = await fetch(`${at}/cluster/members`, {
      headers: { authorization },
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (res.status === 403 && typeof body?.leader_api === 'string')
      return { leader: body.leader_api };
    if (res.status !== 200 || !Array.isArray(body?.members)) {
      const why = typeof body?.message === 'string' ? body.message : 'no member list';
      return { problem: `${res.status}: ${why}` };
    }
    const members = body.members as { node?: unknown; role?: unknown }[];
    const named = (role: string) =>
      members
        .filter((m) => m.role === role && typeof m.node === 'string')
        .map((m) => m.node as string);
    const voters = named('voter');
    if (voters.length === 0) return { problem: 'the answer lists no voter' };
    return { voters, learners: named('learner'), from: at };
  }
}
