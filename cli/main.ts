import { isPermanent } from '../shared/core/errors.js';
import { Command, CommanderError, Option } from 'commander';
import { SHIPPER_VERSION } from '../shared/shipper/index.js';
import { addCommonOptions, type CommonFlags } from './config.js';
import { CliConfigError, ExitCode } from './errors.js';
import { followCommand } from './follow.js';
import { pipeCommand } from './pipe.js';
import { PIPE_CLOSE_TIMEOUT_MS, runCommand } from './run.js';
import { DEFAULT_DEV_ISSUER, devTokenCommand, type DevTokenFlags } from './dev-token.js';
import { registerCommand, type RegisterFlags } from './register.js';
import { openSession } from './session.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** What a command asked for, once commander has parsed and checked the arguments. */
export type Invocation =
  | { command: 'run'; flags: CommonFlags & { pipeCloseTimeout: string }; argv: string[] }
  | { command: 'pipe'; flags: CommonFlags & { passthrough: boolean } }
  | { command: 'follow'; flags: CommonFlags & { dockerJson: boolean; pollInterval: string; fromEnd: boolean }; file: string }
  | { command: 'register'; flags: RegisterFlags }
  | { command: 'dev-token'; flags: DevTokenFlags }
  | { command: 'admin'; args: string[]; flags: Record<string, never> };

/**
 * `joblogs admin` lives in `cli/admin/`, loaded only when asked for: the container bundle
 * (`npm run build:cli`) is the shipper and stays free of the operator's dependencies (the
 * Elasticsearch client, CloudFormation). The specifier is not a literal on purpose, so that the
 * bundler leaves it out.
 */
const ADMIN_MODULE = './admin/main.js';

/** The `joblogs` program; `onInvoke` receives what to do (tests pass a recorder, {@link main} runs it). */
export function buildProgram(onInvoke: (invocation: Invocation) => Promise<void> | void, io: CliIo = defaultIo): Command {
  const program = new Command('joblogs')
    .description("Ships a job's output, line by line, as gzip chunks to S3 (docs/shipper.md)")
    .version(SHIPPER_VERSION)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  addCommonOptions(
    program
      .command('run')
      .description('run a command, pass its output through and ship it; exits with its exit code (128+n when killed by signal n)')
      .argument('<command...>', 'the command and its arguments, after --')
      .usage('[options] -- <command> [args...]')
      .addOption(
        new Option(
          '--pipe-close-timeout <ms>',
          'after the command exits, how long to wait for its output to close (a process it left running may hold it open)',
        )
          .env('JOBLOGS_PIPE_CLOSE_TIMEOUT_MS')
          .default(String(PIPE_CLOSE_TIMEOUT_MS)),
      )
      .passThroughOptions(),
  ).action((argv: string[], flags: CommonFlags & { pipeCloseTimeout: string }) => onInvoke({ command: 'run', flags, argv }));

  addCommonOptions(
    program
      .command('pipe')
      .description('ship standard input (as stdout) until it ends, copying it to standard output')
      .option('--no-passthrough', 'do not copy standard input to standard output'),
  ).action((flags: CommonFlags & { passthrough: boolean }) => onInvoke({ command: 'pipe', flags }));

  addCommonOptions(
    program
      .command('follow')
      .description('ship what is appended to a file, following rotation (rename and truncation), until SIGTERM/SIGINT')
      .argument('<file>', 'the file to follow')
      .option('--docker-json', "the file is a Docker json-file log: keep each line's stream and time", false)
      .addOption(new Option('--poll-interval <ms>', 'how often to look for new data').default('250'))
      .option('--from-end', 'skip what the file already holds', false),
  ).action((file: string, flags: CommonFlags & { dockerJson: boolean; pollInterval: string; fromEnd: boolean }) =>
    onInvoke({ command: 'follow', flags, file }),
  );

  program
    .command('register')
    .description('record who owns a job, before it starts (launchers; needs credentials that may write registry/)')
    .addOption(new Option('--job-id <id>', 'the job').env('JOBLOGS_JOB_ID'))
    .addOption(new Option('--owner <user>', 'the user who owns it (the token subject that may read it)'))
    .addOption(new Option('--team <team>', 'the team whose members may read it'))
    .addOption(new Option('--bucket <name>', "the environment's log bucket").env('JOBLOGS_BUCKET'))
    .addOption(new Option('--label <name=value...>', 'what the UI shows about the job'))
    .addOption(new Option('--force-path-style', 'path-style S3 URLs (moto, MinIO)').env('JOBLOGS_S3_FORCE_PATH_STYLE'))
    .action((flags: RegisterFlags) => onInvoke({ command: 'register', flags }));

  program
    .command('dev-token')
    .description("print a token the local stack's API accepts (from its local issuer; never a real identity)")
    .addOption(new Option('--user <name>', "the token's subject"))
    .addOption(new Option('--team <team...>', 'teams the user is in (the teams claim)'))
    .addOption(new Option('--issuer <url>', 'the local issuer').env('JOBLOGS_DEV_ISSUER').default(DEFAULT_DEV_ISSUER))
    .addOption(new Option('--ttl <seconds>', 'lifetime (at most 12 h)').default('3600'))
    .action((flags: DevTokenFlags) => onInvoke({ command: 'dev-token', flags }));

  program
    .command('admin')
    .description('operator commands for a stage: status, redrive, backfill, purge (`joblogs admin --help`; docs/operations.md)')
    .argument('[args...]')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action((args: string[]) => onInvoke({ command: 'admin', args, flags: {} }));

  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const line = (text: string) => io.stderr(`${text}\n`);
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(async (invocation) => {
    if (invocation.command === 'register') {
      exitCode = await registerCommand(invocation.flags, io);
      return;
    }
    if (invocation.command === 'dev-token') {
      exitCode = await devTokenCommand(invocation.flags, io);
      return;
    }
    if (invocation.command === 'admin') {
      exitCode = await runAdmin(invocation.args, io);
      return;
    }
    const pipeCloseTimeoutMs = invocation.command === 'run' ? wholeMs('--pipe-close-timeout', invocation.flags.pipeCloseTimeout) : 0;
    const session = await openSession(invocation.flags, { stderr: line });
    switch (invocation.command) {
      case 'run':
        exitCode = await runCommand(invocation.argv, session, { stderr: line, pipeCloseTimeoutMs });
        break;
      case 'pipe':
        exitCode = await pipeCommand(session, { passthrough: invocation.flags.passthrough });
        break;
      case 'follow': {
        const pollIntervalMs = Number(invocation.flags.pollInterval);
        if (!Number.isInteger(pollIntervalMs) || pollIntervalMs < 1) throw new CliConfigError('--poll-interval must be a whole number of milliseconds');
        exitCode = await followCommand(invocation.file, session, {
          dockerJson: invocation.flags.dockerJson,
          fromEnd: invocation.flags.fromEnd,
          pollIntervalMs,
        });
        break;
      }
    }
  }, io);
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return ExitCode.usage;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    // Bad flags, environment, options or a spool another shipper holds: nothing was started.
    if (isPermanent(error)) {
      line(`joblogs: ${error.message}`);
      return ExitCode.usage;
    }
    line(`joblogs: ${(error as Error).message ?? String(error)}`);
    return ExitCode.failure;
  }
}

async function runAdmin(args: string[], io: CliIo): Promise<number> {
  let admin: typeof import('./admin/main.js');
  try {
    admin = (await import(ADMIN_MODULE)) as typeof import('./admin/main.js');
  } catch {
    io.stderr(
      'joblogs: `joblogs admin` is not part of this build (the container bundle is the shipper only); run it from the repository: npx joblogs admin …\n',
    );
    return ExitCode.usage;
  }
  return admin.adminMain(['node', 'joblogs admin', ...args], { ...io, stderrIsTty: Boolean(process.stderr.isTTY) });
}

function wholeMs(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new CliConfigError(`${flag} must be a whole number of milliseconds, got ${JSON.stringify(value)}`);
  return Number(value);
}
