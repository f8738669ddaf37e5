import type { MemberList } from '../sdk/rollcall-admin';
import {
  adminOf,
  type CliIo,
  type ClusterOptions,
  endpointsOf,
  EXIT_FAILED,
  fetchOf,
  table,
} from './cli-io';
import { gatherStatus, renderStatus } from './status';

/** `rollcall status`: exit 1 when no member that answered leads. */
export async function status(opts: ClusterOptions, io: CliIo): Promise<number> {
  const s = await gatherStatus(endpointsOf(opts, io), { ...io, fetch: fetchOf(opts, io) });
  io.out(opts.json ? JSON.stringify(s, null, 2) + '\n' : renderStatus(s));
  return s.leader === null ? EXIT_FAILED : 0;
}

/** `rollcall leader transfer [--to NODE]`: answered once the new leader leads. */
export async function transferLeader(
  opts: ClusterOptions & { to?: string },
  io: CliIo,
): Promise<number> {
  const moved = await adminOf(opts, io).transferLeader(opts.to);
  io.out(opts.json ? JSON.stringify(moved) + '\n' : `${moved.message} (term ${moved.term})\n`);
  return 0;
}

export function renderMembers(list: MemberList): string {
  const rows = list.members.map((m) => [
    m.node,
    m.role,
    String(m.match_index),
    m.reachable ? 'yes' : 'no',
    m.api_url,
  ]);
  const head = ['NODE', 'ROLE', 'MATCH INDEX', 'REACHABLE', 'API'];
  return table(head, rows) + `configuration at log index ${list.config_index}\n`;
}

type MemberCall = 'list' | 'add' | 'promote' | 'remove';

/** `rollcall members list|add|promote|remove`: each prints the member list it gets back. */
export async function members(
  call: MemberCall,
  args: { node?: string; apiUrl?: string; voter?: boolean },
  opts: ClusterOptions,
  io: CliIo,
): Promise<number> {
  const admin = adminOf(opts, io);
  const node = args.node ?? '';
  const list =
    call === 'list'
      ? await admin.members()
      : call === 'add'
        ? await admin.addMember(node, args.apiUrl ?? '', !args.voter)
        : call === 'promote'
          ? await admin.promoteMember(node)
          : await admin.removeMember(node);
  io.out(opts.json ? JSON.stringify(list, null, 2) + '\n' : renderMembers(list));
  return 0;
}
