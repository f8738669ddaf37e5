export { RollcallClient } from './rollcall-client';
export { RollcallAdmin } from './rollcall-admin';
export type {
  ClusterMember,
  MemberList,
  RollcallAdminOptions,
  TransferAnswer,
} from './rollcall-admin';
export type { OnlinePeer, Peer, RollcallClientOptions } from './rollcall-client';
export type { WatchEvent } from './watcher';
export { Watcher } from './watcher';
export {
  NoLeaderError,
  NotLeaderError,
  RollcallError,
  UnknownUserError,
  UnreachableError,
  UsernameTakenError,
  ValidationError,
} from './errors';
export { backoffDelay, jittered } from './backoff';
export type { BackoffOptions } from './backoff';
export { tlsFetch } from './tls-fetch';
export type { TlsClientOptions } from './tls-fetch';
export { SseParser } from './sse-parser';
export type { SseMessage } from './sse-parser';
