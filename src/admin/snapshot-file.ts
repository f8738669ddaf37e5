import { createHash } from 'node:crypto';
import type { RegistrySnapshot, ReservedName } from '../clients/registry-state-machine';
import { isRegisteredUser, type RegisteredUser } from '../storage/registered-user';

/** The first line of every snapshot file names its format, so another file is refused early. */
export const SNAPSHOT_FORMAT = 'rollcall-snapshot/1';

/** Users per chunk of the stream: large enough to keep the chunks few, small enough to stream. */
const USERS_PER_CHUNK = 500;

/** The first line: where the cut was taken. */
export interface SnapshotHeader {
  format: typeof SNAPSHOT_FORMAT;
  /** The applied index the registry is at, and the term of that entry. */
  index: number;
  term: number;
  taken_at: string;
  /** The node that served it (the leader), and the voters and learners in force. */
  taken_on: string;
  peers: string[];
  /** Absent from files written before membership changes. */
  learners?: string[];
  users: number;
}

/** A registry as a snapshot file holds it, with where it was cut. */
export interface SnapshotContent {
  header: SnapshotHeader;
  registry: RegistrySnapshot;
}

/** A snapshot file that is not whole and intact, or a restore that would overwrite data. */
export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

/**
 * The file, chunk by chunk: the header line, one line per user (with its token hash), a line
 * with the rest of the registry, and a last line with the SHA-256 of every byte before it.
 * Newline-delimited JSON, so it streams out and is checked on the way in without a schema.
 */
export function* encodeSnapshot(content: SnapshotContent): Generator<Buffer> {
  const hash = createHash('sha256');
  const chunk = (values: unknown[]): Buffer => {
    const bytes = Buffer.from(values.map((v) => JSON.stringify(v) + '\n').join(''));
    hash.update(bytes);
    return bytes;
  };
  const { header, registry } = content;
  yield chunk([header]);
  const hashes = registry.token_hashes ?? {};
  for (let i = 0; i < registry.users.length; i += USERS_PER_CHUNK) {
    const users = registry.users.slice(i, i + USERS_PER_CHUNK);
    yield chunk(users.map((user) => ({ user, token_sha256: hashes[user.username] })));
  }
  yield chunk([
    { drive_imported: registry.drive_imported === true, reserved: registry.reserved ?? [] },
  ]);
  yield Buffer.from(JSON.stringify({ sha256: hash.digest('hex') }) + '\n');
}

/** Reads a whole snapshot file back, checksum first: nothing of a damaged file is trusted. */
export function decodeSnapshot(bytes: Buffer): SnapshotContent {
  const body = verifiedBody(bytes);
  const lines = body.toString('utf8').split('\n');
  lines.pop(); // after the body's last newline
  const values = lines.map((line, i) => parseLine(line, i + 1));
  const header = values[0] as Partial<SnapshotHeader> | undefined;
  if (header?.format !== SNAPSHOT_FORMAT) {
    throw new SnapshotError(`not a ${SNAPSHOT_FORMAT} file (line 1 names no such format)`);
  }
  if (!Number.isSafeInteger(header.index) || !Number.isSafeInteger(header.term)) {
    throw new SnapshotError('line 1: the header has no index or term');
  }
  const users: RegisteredUser[] = [];
  const tokenHashes: Record<string, string> = {};
  for (let i = 1; i < values.length - 1; i++) {
    const line = values[i] as { user?: unknown; token_sha256?: unknown };
    if (!isRegisteredUser(line.user)) throw new SnapshotError(`line ${i + 1}: not a user`);
    users.push(line.user);
    if (typeof line.token_sha256 === 'string') tokenHashes[line.user.username] = line.token_sha256;
  }
  const rest = values.at(-1) as { drive_imported?: unknown; reserved?: unknown } | undefined;
  if (values.length < 2 || !Array.isArray(rest?.reserved)) {
    throw new SnapshotError(`line ${values.length}: the registry's last line is missing`);
  }
  const registry: RegistrySnapshot = {
    users,
    drive_imported: rest.drive_imported === true,
    token_hashes: tokenHashes,
    reserved: rest.reserved as ReservedName[],
  };
  return { header: header as SnapshotHeader, registry };
}

/** The bytes the last line's checksum covers, once they match it. */
function verifiedBody(bytes: Buffer): Buffer {
  const end = bytes.length - 1;
  const cut = end > 0 && bytes[end] === 0x0a ? bytes.lastIndexOf(0x0a, end - 1) + 1 : -1;
  let expected: unknown;
  try {
    expected =
      cut > 0
        ? (JSON.parse(bytes.subarray(cut).toString('utf8')) as { sha256?: unknown }).sha256
        : undefined;
  } catch {
    expected = undefined;
  }
  if (typeof expected !== 'string') {
    throw new SnapshotError(
      'no checksum line at the end: the file is truncated or not a rollcall snapshot',
    );
  }
  const body = bytes.subarray(0, cut);
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== expected) {
    throw new SnapshotError(
      `checksum mismatch (the file says ${expected.slice(0, 12)}…, its content hashes to ${actual.slice(0, 12)}…): the file is damaged`,
    );
  }
  return body;
}

function parseLine(line: string, number: number): unknown {
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v === 'object' && v !== null) return v;
  } catch {
    // reported below, with the line number
  }
  throw new SnapshotError(`line ${number}: not a JSON object`);
}
