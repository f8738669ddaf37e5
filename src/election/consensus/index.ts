export { ElectionCore } from './election-core';
export type { CoreOptions, Entry, HardState, InitialState, Snapshot } from './core-options';
export type { PeerStatus, RaftRole, Ready, RoleChange, Status } from './core-output';
export type * from './messages';
export { APPEND_ENTRIES, APPEND_ENTRIES_RESPONSE } from './messages';
export type { NodeLoad } from './load-rank';
export { MAX_BATCH_BYTES, MAX_BATCH_ENTRIES } from './raft-log';
export { Reason, type TransferReason } from './reasons';
export { kthLargest, majorityOf } from './quorum';
export {
  commandOf,
  isMembershipCommand,
  isMembershipConfig,
  type MemberRole,
  type MembershipChange,
  type MembershipCommand,
  type MembershipConfig,
} from './membership';
export { type ChangeRefusal, PROMOTE_WITHIN_ENTRIES } from './membership-guard';
