import type { Logger } from '@nestjs/common';
import type { ClusterConfig } from '../config/cluster-config';
import type { InitialState } from './consensus/core-options';
import type { Status } from './consensus/core-output';
import type { ElectionTransport } from './election-io';
import type { MembershipJoin } from './membership-join';

/**
 * What the replicated log does about the membership around the core: the members a node starts
 * from, one line at start when the log's membership is not config.toml's, and the transport
 * told which members to dial whenever the membership in force changes.
 */
export class MembershipTracking {
  /** The members the transport was last told to dial. */
  private dialled: string | null = null;

  constructor(
    private readonly config: ClusterConfig,
    private readonly transport: ElectionTransport,
    private readonly logger: Logger,
    private readonly joiner?: MembershipJoin,
  ) {}

  /**
   * The members a node starts from when its log holds none: config.toml's peers, or, with
   * --join and an empty data directory, the members a running cluster lists.
   */
  async bootstrap(
    initial: InitialState,
  ): Promise<{ peers: string[]; learners?: string[]; joining?: boolean }> {
    const join = this.config.join;
    if (!join) return { peers: this.config.peers };
    const empty =
      initial.snapshot == null &&
      (initial.entries ?? []).length === 0 &&
      initial.hardState.term === 0;
    if (!empty) {
      this.logger.log(`--join ${join} ignored: the data directory already holds this node's log`);
      return { peers: this.config.peers, joining: true };
    }
    if (!this.joiner) throw new Error('--join needs the MembershipJoin provider');
    const joined = await this.joiner.fetch(join);
    const self = this.config.thisNode;
    const role = joined.voters.includes(self)
      ? 'a voter'
      : joined.learners.includes(self)
        ? 'a learner'
        : 'not a member yet (add it: rollcall members add)';
    this.logger.log(
      `joined through ${joined.from}: voters ${joined.voters.join(', ')}${joined.learners.length > 0 ? `, learners ${joined.learners.join(', ')}` : ''}; this node is ${role}`,
    );
    return { peers: joined.voters, learners: joined.learners, joining: true };
  }

  /**
   * config.toml's peers only bootstrap a new cluster: once the log or a snapshot holds a
   * membership, it wins, and a file that says otherwise is worth one line at start.
   */
  reportAtStart(s: Status): void {
    const { index, voters, learners } = s.membership;
    const members = [...voters, ...learners].sort().join(', ');
    if (index > 0 && members !== [...this.config.peers].sort().join(', ')) {
      this.logger.warn(
        `membership from the log (configuration at index ${index}): voters ${voters.join(', ')}${learners.length > 0 ? `, learners ${learners.join(', ')}` : ''}; config.toml's peers (${this.config.peers.join(', ')}) only bootstrap a new cluster and are ignored`,
      );
    }
    if (s.selfRole !== 'voter') {
      this.logger.warn(
        s.selfRole === 'learner'
          ? `this node is a learner (configuration at index ${index}): it follows, and does not vote or campaign until promoted`
          : `this node is not a member of the configuration at index ${index}: it does not campaign`,
      );
    }
  }

  /** The transport dials the members in force (and removed ones still being told so). */
  follow(s: Status): void {
    const { voters, learners } = s.membership;
    const peers = [...new Set([...voters, ...learners, ...s.departing])].sort();
    const key = peers.join(',');
    if (key === this.dialled) return;
    this.dialled = key;
    this.transport.setPeers?.(peers);
  }
}
