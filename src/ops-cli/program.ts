import { Command, CommanderError, Option } from 'commander';
import { members, status, transferLeader } from './cluster-commands';
import { type CliIo, type ClusterOptions, EXIT_USAGE, failureOf } from './cli-io';
import { restoreSnapshotCommand, saveSnapshot } from './snapshot-commands';

const ENVIRONMENT = `
Environment:
  ROLLCALL_ENDPOINTS    the nodes' HTTP APIs, comma-separated (instead of --endpoints)
  ROLLCALL_ADMIN_TOKEN  the cluster's ADMIN_TOKEN (instead of --token)
  ROLLCALL_CA_FILE      CA certificate(s) for https:// endpoints (instead of --ca-file)
  ROLLCALL_CERT_FILE, ROLLCALL_KEY_FILE   a client certificate (instead of --cert-file, --key-file)

Exit status: 0 done, 1 the cluster refused or could not do it (or, for status, has no
leader), 2 a wrong command line. Errors are one line on stderr.`;

const RESTORE_HELP = `
With --this-node and --peers (give every new node the same --peers), the directory holds the
new cluster's membership: its nodes start with these voters whatever their config.toml says,
as a node restarting on its log does. An item ADDR=API_URL also records that member's HTTP API.
Without them, the members are config.toml's peers, as for any new cluster. The backup's own
members (its old addresses) are never restored.

Example:
  rollcall snapshot restore backup.ndjson --data-dir data/127.0.0.1-8080 \\
    --this-node 127.0.0.1:8080 --peers 127.0.0.1:8080,127.0.0.1:8081,127.0.0.1:8082`;

type Action = (...args: never[]) => Promise<number>;

/** The `rollcall` program; `run` is its result (an exit code) once parseAsync resolves. */
function buildProgram(io: CliIo, result: { code: number }): Command {
  const done =
    <A extends Action>(action: A) =>
    async (...args: Parameters<A>) => {
      result.code = await action(...args);
    };
  const program = new Command('rollcall')
    .description('Operate a rollcall cluster: its members, its leader, its backups.')
    .option('--endpoints <urls>', 'HTTP APIs of any nodes, comma-separated (follows the leader)')
    .option('--token <token>', 'the admin token (ADMIN_TOKEN of the nodes)')
    .option('--ca-file <pem>', "the CA the nodes' https:// certificates must chain to")
    .option('--cert-file <pem>', 'a client certificate, for nodes that require one')
    .option('--key-file <pem>', 'the key of --cert-file')
    .addHelpText('after', ENVIRONMENT)
    .showHelpAfterError('(rollcall --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const globals = (cmd: Command) => cmd.optsWithGlobals<ClusterOptions>();

  program
    .command('status')
    .description('a table of members: role, term, leader, log lag, load, last contact')
    .option('--json', 'print JSON')
    .action(done((_o: unknown, cmd: Command) => status(globals(cmd), io)));

  const leader = program.command('leader').description('the leader');
  leader
    .command('transfer')
    .description('hand leadership to another member, and wait until it leads')
    .option('--to <node>', 'the member to hand over to (election address host:port)')
    .option('--json', 'print JSON')
    .action(done((_o: unknown, cmd: Command) => transferLeader(globals(cmd), io)));

  const snapshot = program.command('snapshot').description('backups of the registry');
  snapshot
    .command('save <file>')
    .description("save the leader's snapshot of the registry (checked before it is kept)")
    .option('--json', 'print JSON')
    .action(
      done((file: string, _o: unknown, cmd: Command) => saveSnapshot(file, globals(cmd), io)),
    );
  snapshot
    .command('restore <file>')
    .description('build a new data directory from a snapshot file, offline')
    .requiredOption('--data-dir <dir>', 'the data directory to create (must be new or empty)')
    .option('--this-node <addr>', 'the member the directory is for (host:port, one of --peers)')
    .option(
      '--peers <addrs>',
      "the new cluster's voters, ADDR[=API_URL],... (else: config.toml's peers)",
    )
    .option('--json', 'print JSON')
    .addHelpText('after', RESTORE_HELP)
    .action(
      done((file: string, o: { dataDir: string; json?: boolean }) =>
        restoreSnapshotCommand(file, o.dataDir, o, io),
      ),
    );

  addMemberCommands(program, io, done);
  return program;
}

function addMemberCommands(
  program: Command,
  io: CliIo,
  done: <A extends Action>(a: A) => (...args: Parameters<A>) => Promise<void>,
): void {
  const globals = (cmd: Command) => cmd.optsWithGlobals<ClusterOptions>();
  const group = program
    .command('members')
    .description('the members, and changing them one at a time');
  group
    .command('list')
    .description('every member: role (voter or learner), match index, reachable')
    .option('--json', 'print JSON')
    .action(done((_o: unknown, cmd: Command) => members('list', {}, globals(cmd), io)));
  group
    .command('add <node>')
    .description('add a member (a learner unless --voter) at election address <node>')
    .requiredOption('--api-url <url>', "the new member's HTTP API, http://host:port")
    .addOption(new Option('--voter', 'join as a voter at once (default: a learner)'))
    .option('--json', 'print JSON')
    .action(
      done((node: string, o: { apiUrl: string; voter?: boolean }, cmd: Command) =>
        members('add', { node, apiUrl: o.apiUrl, voter: o.voter }, globals(cmd), io),
      ),
    );
  for (const [name, what] of [
    ['promote', 'make a caught-up learner a voter'],
    ['remove', 'remove a member (the leader hands over first)'],
  ] as const) {
    group
      .command(`${name} <node>`)
      .description(what)
      .option('--json', 'print JSON')
      .action(
        done((node: string, _o: unknown, cmd: Command) =>
          members(name, { node }, globals(cmd), io),
        ),
      );
  }
}

/** Runs `rollcall` with `argv` (without node and the script); resolves with the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const result = { code: 0 };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const failure = failureOf(err);
    io.err(`rollcall: ${failure.line}\n`);
    return failure.code;
  }
}
