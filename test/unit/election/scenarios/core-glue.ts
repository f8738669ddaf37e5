/**
 * Everything the scenarios take from the consensus core, in one file: the other files import
 * from here, never from src/ directly. When the core renames a type or a message, only this file
 * changes; the .txt files print Raft's names (AppendEntries, MsgApp in etcd), not TypeScript's.
 */
import type {
  Heartbeat,
  HeartbeatResponse,
  Message,
  MessageType,
} from '../../../../src/election/consensus';

export { ElectionCore } from '../../../../src/election/consensus';
export type {
  Entry,
  HardState,
  Message,
  MessageType,
  NodeId,
  NodeLoad,
  Ready,
  RoleChange,
  Snapshot,
  Status,
  TransferReason,
} from '../../../../src/election/consensus';

/** Raft's AppendEntries (a heartbeat when it carries no entries), and its answer. */
export type AppendEntries = Heartbeat;
export type AppendEntriesResponse = HeartbeatResponse;

/** The name each message prints under, and `deliver type=<name>` selects by. */
export const RAFT_NAME: Record<MessageType, string> = {
  PreVote: 'PreVote',
  PreVoteResponse: 'PreVoteResponse',
  RequestVote: 'RequestVote',
  RequestVoteResponse: 'RequestVoteResponse',
  Heartbeat: 'AppendEntries',
  HeartbeatResponse: 'AppendEntriesResponse',
  InstallSnapshot: 'InstallSnapshot',
  TimeoutNow: 'TimeoutNow',
};

export function isAppendEntries(m: Message): m is AppendEntries {
  return m.type === 'Heartbeat';
}

export function isAppendEntriesResponse(m: Message): m is AppendEntriesResponse {
  return m.type === 'HeartbeatResponse';
}
