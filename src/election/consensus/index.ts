export { ElectionCore } from './election-core';
export type { CoreOptions, HardState, LogView } from './core-options';
export type { PeerStatus, Ready, Role, RoleChange, Status } from './core-output';
export type * from './messages';
export { Reason, type TransferReason } from './reasons';
