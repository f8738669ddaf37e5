/**
 * Everything the scenarios take from the consensus core, in one file: the other files import
 * from here, never from src/ directly. When the core renames a type or a message, only this file
 * changes; the .txt files print Raft's names (AppendEntries, MsgApp in etcd), not TypeScript's.
 */
import {
  APPEND_ENTRIES,
  APPEND_ENTRIES_RESPONSE,
  type AppendEntries,
  type AppendEntriesResponse,
  type Message,
  type MessageType,
} from '../../../../src/election/consensus';

export { ElectionCore, isMembershipCommand } from '../../../../src/election/consensus';
export type {
  ChangeRefusal,
  Entry,
  HardState,
  MembershipChange,
  MembershipConfig,
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
export type { AppendEntries, AppendEntriesResponse };

/** The name each message prints under, and `deliver type=<name>` selects by. */
export const RAFT_NAME: Record<MessageType, string> = {
  PreVote: 'PreVote',
  PreVoteResponse: 'PreVoteResponse',
  RequestVote: 'RequestVote',
  RequestVoteResponse: 'RequestVoteResponse',
  [APPEND_ENTRIES]: 'AppendEntries',
  [APPEND_ENTRIES_RESPONSE]: 'AppendEntriesResponse',
  InstallSnapshot: 'InstallSnapshot',
  TimeoutNow: 'TimeoutNow',
};

export function isAppendEntries(m: Message): m is AppendEntries {
  return m.type === APPEND_ENTRIES;
}

export function isAppendEntriesResponse(m: Message): m is AppendEntriesResponse {
  return m.type === APPEND_ENTRIES_RESPONSE;
}
