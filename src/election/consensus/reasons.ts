import type { NodeId } from './messages';

/** The words in RoleChange.reason; operators grep logs for them, so they live in one place. */
export const Reason = {
  startup: 'startup',
  electionTimeout: 'election timeout',
  lostConnectionToLeader: 'lost connection to leader',
  wonElection: 'won election',
  lostQuorum: 'lost quorum',
  higherTermFrom: (peer: NodeId) => `higher term from ${peer}`,
  transferTo: (peer: NodeId, why: TransferReason) => `transfer to ${peer} for ${why}`,
  transferTimedOut: (peer: NodeId) => `transfer to ${peer} timed out`,
  timeoutNowFrom: (peer: NodeId) => `timeout-now from ${peer}`,
  heardLeader: (peer: NodeId) => `heard leader ${peer}`,
  deferringTo: (peer: NodeId) => `deferring to ${peer} for load`,
  votedFor: (peer: NodeId) => `voted for ${peer}`,
  membership: (role: 'voter' | 'learner' | 'removed', index: number) =>
    role === 'removed'
      ? `removed from the cluster at log index ${index}: no longer campaigning`
      : `now a ${role} (configuration at log index ${index})`,
} as const;

/** Why a leader hands over: lighter load elsewhere, its own shutdown, or an operator's command. */
export type TransferReason = 'load' | 'shutdown' | 'operator';
