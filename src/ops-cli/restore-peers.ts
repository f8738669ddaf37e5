import type { RestoredMembers } from '../admin/snapshot-restore';
import { isHostPortError, parseHostPort } from '../common/address';
import { UsageError } from './cli-io';

/**
 * `--this-node ADDR --peers ADDR[=API_URL],...` of `rollcall snapshot restore`: the new
 * cluster's voters, by election address, each optionally with its HTTP API. Both or neither:
 * without them the restored node takes its members from config.toml, as before.
 */
export function restoredMembersOf(opts: {
  thisNode?: string;
  peers?: string;
}): RestoredMembers | undefined {
  if (opts.thisNode === undefined && opts.peers === undefined) return undefined;
  if (opts.thisNode === undefined) {
    throw new UsageError('--peers needs --this-node: the member this data directory is for');
  }
  if (opts.peers === undefined) {
    throw new UsageError("--this-node needs --peers: the new cluster's voters, ADDR,...");
  }
  const thisNode = checkedAddress(opts.thisNode, '--this-node');
  const voters: string[] = [];
  const apiUrls: Record<string, string> = {};
  for (const item of opts.peers.split(',').map((p) => p.trim())) {
    const eq = item.indexOf('=');
    const node = checkedAddress(eq < 0 ? item : item.slice(0, eq), '--peers');
    if (voters.includes(node)) throw new UsageError(`--peers names ${node} twice`);
    voters.push(node);
    if (eq >= 0) apiUrls[node] = checkedApiUrl(item.slice(eq + 1), node);
  }
  if (!voters.includes(thisNode)) {
    throw new UsageError(
      `--this-node ${thisNode} is not among --peers ${voters.join(',')}: a restored node must be one of the voters`,
    );
  }
  return { thisNode, voters, apiUrls };
}

function checkedAddress(text: string, flag: string): string {
  const parsed = parseHostPort(text);
  if (isHostPortError(parsed)) {
    throw new UsageError(`${flag}: ${parsed.error}; an election address is host:port`);
  }
  return text;
}

function checkedApiUrl(text: string, node: string): string {
  const url = URL.canParse(text) ? new URL(text) : null;
  if (url === null || !['http:', 'https:'].includes(url.protocol) || url.host === '') {
    throw new UsageError(
      `--peers ${node}=${text}: the API must be an http:// or https:// URL, such as http://127.0.0.1:3000`,
    );
  }
  return text.replace(/\/+$/, '');
}
