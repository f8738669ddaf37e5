import { hostPortError, usernameError } from '../clients/dto/field-rules';
import { isRegisteredUser, type RegisteredUser } from '../storage/registered-user';

/** One file per user in the registered-users folder, named after the user. */
export const USER_FILE_SUFFIX = '.json';
export const USER_FILE_MIME = 'application/json';

export function userFileName(username: string): string {
  return `${username}${USER_FILE_SUFFIX}`;
}

/** The file's content: the seed's four fields, nothing else. */
export function userFileContent(user: RegisteredUser): string {
  const { user_id, username, addr, registered_at } = user;
  return JSON.stringify({ user_id, username, addr, registered_at });
}

/**
 * Reads a user file found in the folder. Returns the user, or why it is not one: the folder is
 * shared with people, so anything may be in it.
 */
export function parseUserFile(name: string, content: string): RegisteredUser | { why: string } {
  if (!name.endsWith(USER_FILE_SUFFIX)) return { why: `name does not end in ${USER_FILE_SUFFIX}` };
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch {
    return { why: 'not valid JSON' };
  }
  if (!isRegisteredUser(json)) {
    return { why: 'not a user (needs string user_id, username, addr and registered_at)' };
  }
  const expected = name.slice(0, -USER_FILE_SUFFIX.length);
  if (json.username !== expected) {
    return { why: `username '${json.username}' does not match the file name` };
  }
  const badName = usernameError(json.username);
  if (badName) return { why: `username '${json.username}': ${badName}` };
  if (hostPortError('addr', json.addr)) return { why: `addr '${json.addr}' is not host:port` };
  if (json.user_id === '' || Number.isNaN(Date.parse(json.registered_at))) {
    return { why: 'user_id is empty or registered_at is not a date' };
  }
  const { user_id, username, addr, registered_at } = json;
  return { user_id, username, addr, registered_at };
}
