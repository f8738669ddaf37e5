import { hostPortError, usernameError } from '../clients/dto/field-rules';
import { userIdOfDriveFile } from '../clients/user-id';
import type { RegisteredUser } from '../storage/registered-user';
import type { LeftAlone } from '../storage/user-store';

/** One file per user in the registered-users folder, named after the user. */
export const USER_FILE_SUFFIX = '.json';
export const USER_FILE_MIME = 'application/json';

/** What Drive's listing says about a file, besides its content. */
export interface DriveFileFacts {
  id: string;
  name: string;
  /** RFC 3339; the registration time of a file that does not say it. */
  createdTime?: string;
}

/** How much of a value found in a file a reason quotes: it goes into logs, the log and a 409. */
const QUOTE_MAX = 64;

export function userFileName(username: string): string {
  return `${username}${USER_FILE_SUFFIX}`;
}

/** The name a file in the folder holds, whatever it contains: `<name>.json` with a valid name. */
export function usernameOfFile(fileName: string): string | null {
  if (!fileName.endsWith(USER_FILE_SUFFIX)) return null;
  const stem = fileName.slice(0, -USER_FILE_SUFFIX.length);
  return usernameError(stem) === null ? stem : null;
}

/** The file's content: the seed's four fields, nothing else. */
export function userFileContent(user: RegisteredUser): string {
  const { user_id, username, addr, registered_at } = user;
  return JSON.stringify({ user_id, username, addr, registered_at });
}

/** The same user: the file may differ in shape (the seed's two fields) or in its time. */
export function isSameUser(a: RegisteredUser, b: RegisteredUser): boolean {
  return a.user_id === b.user_id && a.username === b.username && a.addr === b.addr;
}

function quoted(value: unknown): string {
  const text = typeof value === 'string' ? value : String(JSON.stringify(value));
  return `'${text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}…` : text}'`;
}

/**
 * Reads a user file found in the folder. Returns the user, or why it is not one: the folder is
 * shared with people, so anything may be in it. `username` (matching the file name) and `addr`
 * are needed; the seed's files hold only those, so a missing `user_id` is derived from the
 * file's Drive id (the same on every read) and a missing `registered_at` is its createdTime.
 * Other fields are ignored.
 */
export function parseUserFile(
  file: DriveFileFacts,
  content: string,
): RegisteredUser | { why: string } {
  if (!file.name.endsWith(USER_FILE_SUFFIX)) {
    return { why: `name does not end in ${USER_FILE_SUFFIX}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return { why: 'not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { why: 'not a JSON object' };
  }
  const fields = json as Record<string, unknown>;
  const { username, addr } = fields;
  if (username === undefined) return { why: 'no username' };
  if (typeof username !== 'string' || username !== file.name.slice(0, -USER_FILE_SUFFIX.length)) {
    return { why: `username ${quoted(username)} does not match the file name` };
  }
  const badName = usernameError(username);
  if (badName) return { why: `username ${quoted(username)}: ${badName}` };
  if (addr === undefined) return { why: 'no addr' };
  if (typeof addr !== 'string' || hostPortError('addr', addr)) {
    return { why: `addr ${quoted(addr)} is not host:port` };
  }
  const user_id = fields.user_id ?? userIdOfDriveFile(file.id);
  if (typeof user_id !== 'string' || user_id === '') {
    return { why: `user_id ${quoted(user_id)} is not a non-empty string` };
  }
  const registered_at = fields.registered_at ?? file.createdTime;
  if (registered_at === undefined)
    return { why: 'no registered_at, and Drive gave no createdTime' };
  if (typeof registered_at !== 'string' || Number.isNaN(Date.parse(registered_at))) {
    return { why: `registered_at ${quoted(registered_at)} is not a date` };
  }
  return { user_id, username, addr, registered_at };
}

/** A file found under a user's name, with what it reads as. */
export interface FoundFile {
  file: DriveFileFacts;
  read: RegisteredUser | { why: string };
}

/**
 * What writing `user` does to the files already under its name: nothing when one of them is
 * this user (in any accepted shape); nothing either when one cannot be read as a user, since
 * that file is someone's work and rollcall never writes what it cannot read; otherwise the
 * file, a readable copy of another user under the name, is replaced: the log is the truth.
 */
export function settleExisting(
  user: RegisteredUser,
  found: FoundFile[],
): 'already-there' | LeftAlone | { kind: 'replace'; fileId: string } {
  if (found.some((f) => !('why' in f.read) && isSameUser(f.read, user))) return 'already-there';
  for (const { file, read } of found) {
    if ('why' in read) return { kind: 'left-alone', file: file.name, why: read.why };
  }
  return { kind: 'replace', fileId: found[0].file.id };
}
