import { splitArgs } from './datadriven';
import { formatEntry, formatMessage, formatSnapshot } from './raft-format';
import type { ScenarioEnv } from './scenario-env';
import type { ScenarioNode } from './scenario-node';

/** `partition {1,2} {3}`: nodes in different groups cannot talk; a node in no group talks to none. */
export function partition(env: ScenarioEnv, args: string[]): string[] {
  const groupOf = new Map<string, number>();
  args.forEach((arg, group) => {
    const ids = /^\{([^}]*)\}$/.exec(arg)?.[1].split(',');
    if (ids === undefined) throw new Error(`expected {id,id,...}: ${arg}`);
    for (const id of ids) groupOf.set(env.node(id).id, group);
  });
  env.cut.clear();
  const cutPairs: string[] = [];
  for (const a of env.ids) {
    for (const b of env.ids) {
      if (a === b || (groupOf.has(a) && groupOf.get(a) === groupOf.get(b))) continue;
      env.cut.add(`${a}>${b}`);
      if (a < b) cutPairs.push(`${a}-${b}`);
    }
  }
  return [`cut: ${cutPairs.join(' ')}`];
}

/** `crash <id>`: the process stops; its disk stays; messages on their way to it are lost. */
export function crash(env: ScenarioEnv, args: string[]): string[] {
  const node: ScenarioNode = env.runningNode(args[0]);
  node.core = null;
  node.leaseUntil = null;
  env.safety.updateLease(node.id, null, env.now);
  const lost = env.take((m) => m.to === node.id).map((m) => `lost ${formatMessage(m)}`);
  return [`${node.id} is down`, ...lost];
}

/** `restart <id>`: a new core from what the node persisted, at the current time. */
export function restart(env: ScenarioEnv, args: string[]): string[] {
  const node = env.node(args[0]);
  if (node.core !== null) throw new Error(`${node.id} is running`);
  const { hardState: hs, snapshot, entries } = node.disk;
  const last = entries.at(-1) ?? snapshot ?? { index: 0, term: 0 };
  const onDisk =
    `${node.id} restarts from its disk: term=${hs.term} vote=${hs.votedFor ?? 'none'} ` +
    `commit=${hs.commit} last=${formatSnapshot(last)}` +
    (snapshot === null ? '' : ` snapshot=${formatSnapshot(snapshot)}`);
  return [onDisk, ...env.start(node.id)];
}

/** `set-load <id> <machine> <background>`: what the node's CPU sampler reports from now on. */
export function setLoad(env: ScenarioEnv, args: string[]): string[] {
  const node = env.node(args[0]);
  const [machine, background] = args.slice(1).map(Number);
  if (!Number.isFinite(machine) || !Number.isFinite(background)) {
    throw new Error('set-load <id> <machine> <background>');
  }
  node.load = { machine, background };
  node.core?.setLoad(node.load);
  return [];
}

/** `propose <id> <data> [bytes=<n>]`: a client's write; bytes= pads the data to that length. */
export function propose(env: ScenarioEnv, args: string[]): string[] {
  const { positional, options } = splitArgs(args);
  const [id, word] = positional;
  if (word === undefined) throw new Error('propose <id> <data>');
  const data = word.padEnd(Number(options.get('bytes') ?? 0), '.');
  const before = env.runningNode(id).core.status(env.now);
  const [at, effects] = env.ask(id, (core) => core.propose(data, env.now));
  const why = before.role !== 'leader' ? 'not the leader' : 'it holds no lease';
  const verdict =
    at === null ? `${id} refuses: ${why}` : `${id} accepts ${formatEntry({ ...at, data })}`;
  return [verdict, ...effects];
}

/** `transfer <id> [shutdown|load|operator]`: asks the leader to hand over (default: shutdown). */
export function transfer(env: ScenarioEnv, args: string[]): string[] {
  const [id, reason = 'shutdown'] = args;
  if (reason !== 'shutdown' && reason !== 'load' && reason !== 'operator') {
    throw new Error('transfer <id> [shutdown|load|operator]');
  }
  const [target, effects] = env.ask(id, (core) => core.transferLeadership(env.now, reason));
  const verdict = target === null ? `${id} does not hand over` : `${id} hands over to ${target}`;
  return [verdict, ...effects];
}

/** `unreachable <id> <peer> [exited]`: <id>'s driver could not reconnect to <peer>. */
export function unreachable(env: ScenarioEnv, args: string[]): string[] {
  const [id, peer, exited] = args;
  if (exited !== undefined && exited !== 'exited') throw new Error('expected "exited"');
  env.node(peer);
  return env.interact(id, (core) => core.peerUnreachable(peer, env.now, exited === 'exited'));
}

/** `compact <id> <index>`: the node snapshots its state machine up to <index>, drops the entries. */
export function compact(env: ScenarioEnv, args: string[]): string[] {
  const node = env.runningNode(args[0]);
  const index = Number(args[1]);
  const term = node.disk.entries.find((e) => e.index === index)?.term;
  const image = node.imageUpTo(index);
  if (term === undefined || image === null || !node.core.compact(index, image)) {
    return [`${node.id} cannot compact up to ${index}`];
  }
  node.compactDisk({ index, term, data: image });
  return [
    `${node.id} compacts: snapshot ${formatSnapshot({ index, term })}, log from ${index + 1}`,
  ];
}
