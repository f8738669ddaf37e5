import { createHash, randomUUID } from 'node:crypto';

/**
 * The name space of ids derived from Drive file ids (a v4 UUID drawn once). Never change it:
 * every node and every later version must derive the same id from the same file.
 */
const DRIVE_FILE_NAMESPACE = '34d50dc5-fdf6-4802-bb79-8ae01766d604';

/**
 * A string kept for good is copied flat: randomUUID's result, or one built by slicing, is a V8
 * rope of many pieces (~490 B for a UUID) where the flat copy takes ~66 B (bench/memory.ts).
 */
function flat(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}

/** A new user's id (UUID v4). */
export function newUserId(): string {
  return flat(randomUUID());
}

/** RFC 9562 §5.5: SHA-1 over the name space's 16 bytes then the name, version 5, variant 10. */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return flat(
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
  );
}

/**
 * The id of a user read from a Drive file that does not carry one (the seed's files): derived
 * from the file's id, so every import on every node gives the same user the same id, and a file
 * made anew under the same name is a new user.
 */
export function userIdOfDriveFile(fileId: string): string {
  return uuidV5(fileId, DRIVE_FILE_NAMESPACE);
}
