import { Command, CommanderError, Option } from 'commander';
import { isValidJobId } from '../../shared/core/contract/index.js';
import { ConfigError, describeError, isPermanent } from '../../shared/core/errors.js';
import { selectionListing, type BackfillSelection } from '../../shared/core/ops/index.js';
import { backfillCommand, renderBackfill } from './commands/backfill.js';
import { purgeCommand, renderPurge } from './commands/purge.js';
import { redriveCommand, redriveReportsCommand, renderRedrive, renderReportRedrive, type RedriveMethod, type RedriveQueue } from './commands/redrive.js';
import { renderStatus, statusCommand } from './commands/status.js';
import { addAdminOptions, adminConfig, wholeNumber, type AdminFlags } from './config.js';
import { openAdmin, type AdminDeps } from './deps.js';
import { AdminExitCode, JobNotFoundError } from './errors.js';
import type { AdminIo } from './progress.js';

type StatusFlags = AdminFlags & { job?: string; peek?: string };
type RedriveFlags = AdminFlags & {
  queue: string;
  rate?: string;
  method: string;
  wait?: string;
  max?: string;
  dryRun?: boolean;
  reports?: boolean;
  job?: string;
  since?: string;
  code?: string;
};
type BackfillFlags = AdminFlags & {
  job?: string;
  prefix?: string;
  since?: string;
  targetStage?: string;
  state?: string;
  concurrency?: string;
  installTemplates?: boolean;
  retentionDays?: string;
  dryRun?: boolean;
};
type PurgeFlags = AdminFlags & { job?: string; yes?: boolean; reason?: string; force?: boolean };

/** What an admin command asked for, once commander has parsed its arguments. */
export type AdminInvocation =
  | { command: 'status'; flags: StatusFlags }
  | { command: 'redrive'; flags: RedriveFlags }
  | { command: 'backfill'; flags: BackfillFlags }
  | { command: 'purge'; flags: PurgeFlags };

const defaultIo: AdminIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: Boolean(process.stderr.isTTY),
};

/** The `joblogs admin` program; `onInvoke` receives what to do (tests pass a recorder, {@link adminMain} runs it). */
export function buildAdminProgram(onInvoke: (invocation: AdminInvocation) => Promise<void> | void, io: AdminIo = defaultIo): Command {
  const program = new Command('joblogs admin')
    .description("Operator commands for a stage: where a job's logs are, redrive, backfill, purge (docs/operations.md)")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 a service failed (run again), 2 bad usage or configuration, 3 done but something needs attention, 4 no such job.',
    );

  addAdminOptions(
    program
      .command('status')
      .description(
        "where are my logs? a job's registration, sources, chunks in S3 (with gaps), lines shipped vs indexed vs in the download file, dead-letter reports and DLQ messages",
      )
      .requiredOption('--job <id>', 'the job')
      .addOption(new Option('--peek <n>', 'messages to look at in each dead-letter queue').default('1000')),
  ).action((flags: StatusFlags) => onInvoke({ command: 'status', flags }));

  addAdminOptions(
    program
      .command('redrive')
      .description(
        "move the dead-letter queues back to their source queues (rate limited) and report what came through; with --reports, announce dead-letter reports' chunks again after a fix",
      )
      .addOption(new Option('--queue <queue>', 'which DLQ').choices(['chunks', 'assemble', 'all']).default('all'))
      .addOption(new Option('--rate <n>', 'messages per second at most (1–500)').default('10'))
      .addOption(new Option('--method <method>', "SQS's own move task, or receive/send/delete").choices(['auto', 'move-task', 'copy']).default('auto'))
      .addOption(new Option('--wait <seconds>', 'then watch the source queue this long: what came through, what came back').default('0'))
      .addOption(new Option('--max <n>', 'messages to move at most per queue').default('100000'))
      .option('--dry-run', 'only show what would be moved')
      .option('--reports', 'announce the chunks (and assemblies) of dead-letter reports again, then move the reports to dead-letter/redriven/')
      .option('--job <id>', "with --reports: only this job's reports")
      .option('--since <time>', 'with --reports: only reports written since (ISO 8601)')
      .option('--code <code>', 'with --reports: only reports of this code, e.g. DOCUMENTS_REJECTED'),
  ).action((flags: RedriveFlags) => onInvoke({ command: 'redrive', flags }));

  addAdminOptions(
    program
      .command('backfill')
      .description(
        'index existing chunks again — into this stage or another cluster — without a single duplicate; resumable; a progress bar and a throughput figure',
      )
      .option('--job <id>', "one job's chunks")
      .option('--prefix <prefix>', 'the chunks of every job whose id starts with this')
      .option('--since <time>', 'every chunk written since (ISO 8601)')
      .option('--target-stage <stage>', "write into this stage's data streams (and, without --es-url, its Elasticsearch)")
      .option('--state <file>', 'where progress is kept (default under ~/.cache/joblogs/admin/)')
      .addOption(new Option('--concurrency <n>', 'chunks at a time (1–16)').default('4'))
      .option('--install-templates', "install the target stage's index templates when they are missing (a rebuilt cluster)")
      .addOption(new Option('--retention-days <n>', "with --install-templates: the data streams' retention").default('30'))
      .option('--dry-run', 'only count what would be indexed'),
  ).action((flags: BackfillFlags) => onInvoke({ command: 'backfill', flags }));

  addAdminOptions(
    program
      .command('purge')
      .description(
        "remove a job's logs everywhere (Elasticsearch, chunks, markers, download file, checkpoints, dead-letter reports, every version); a dry run unless --yes; an audit record of what went",
      )
      .requiredOption('--job <id>', 'the job')
      .option('--yes', 'really remove (without it: a dry run)')
      .option('--reason <text>', 'why, for the audit record (a ticket, "leaked secret")')
      .option('--force', 'purge although a source has no final marker (its shipper is gone for good)'),
  ).action((flags: PurgeFlags) => onInvoke({ command: 'purge', flags }));

  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

/** Runs `joblogs admin …` (`argv` as process.argv: node, script, then the arguments); resolves to the exit code. */
export async function adminMain(argv: string[], io: AdminIo = defaultIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exitCode: number = AdminExitCode.ok;
  let json = false;
  const program = buildAdminProgram(async (invocation) => {
    const config = adminConfig(invocation.flags, env);
    json = config.json;
    // Every flag is checked before anything is opened: a usage error never touches the stage.
    const command = prepare(invocation, config.stage);
    const deps = await openAdmin(config, io);
    try {
      if (deps.stage.note && !json) io.stderr(`joblogs admin: stage ${config.stage} found by names (${deps.stage.note})\n`);
      const { text, value, code } = await command(deps);
      io.stdout(config.json ? `${JSON.stringify(value, null, 2)}\n` : text);
      exitCode = code;
    } finally {
      await deps.close();
    }
  }, io);
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return AdminExitCode.usage;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? AdminExitCode.ok : AdminExitCode.usage;
    const { code, message } = describeError(error);
    io.stderr(`joblogs admin: ${message}\n`);
    if (json) io.stdout(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
    if (error instanceof JobNotFoundError) return AdminExitCode.notFound;
    return isPermanent(error) ? AdminExitCode.usage : AdminExitCode.failure;
  }
}

/** What a command will do once the stage is open: its flags checked and turned into options (throws a ConfigError). */
export type PreparedCommand = (deps: AdminDeps) => Promise<{ text: string; value: unknown; code: number }>;

export function prepare(invocation: AdminInvocation, stage: string): PreparedCommand {
  const job = (invocation.flags as { job?: string }).job;
  if (job !== undefined && !isValidJobId(job))
    throw new ConfigError(`--job ${JSON.stringify(job)} is not a job id ([A-Za-z0-9][A-Za-z0-9_.-]{0,127})`, { problems: ['--job'] });
  switch (invocation.command) {
    case 'status': {
      const o = { jobId: invocation.flags.job!, peek: wholeNumber('--peek', invocation.flags.peek, { min: 0, max: 100_000, default: 1000 }) };
      return async (deps) => {
        const { report, exitCode } = await statusCommand(o, deps);
        return { text: renderStatus(report, deps.stage.stage), value: report, code: exitCode };
      };
    }
    case 'redrive':
      return prepareRedrive(invocation.flags);
    case 'backfill': {
      const f = invocation.flags;
      const o = {
        selection: selectionOf(f),
        targetStage: f.targetStage ?? stage,
        targetEsUrl: f.esUrl,
        stateFile: f.state,
        concurrency: wholeNumber('--concurrency', f.concurrency, { min: 1, max: 16, default: 4 }),
        installTemplates: f.installTemplates === true,
        retentionDays: wholeNumber('--retention-days', f.retentionDays, { min: 1, max: 3650, default: 30 }),
        dryRun: f.dryRun === true,
      };
      selectionListing(o.selection);
      if (f.targetStage !== undefined && !/^[a-z0-9_]{1,32}$/.test(f.targetStage))
        throw new ConfigError(`--target-stage ${JSON.stringify(f.targetStage)} must be 1–32 of [a-z0-9_]`, { problems: ['--target-stage'] });
      return async (deps) => {
        const { result, exitCode } = await backfillCommand(o, deps);
        return { text: renderBackfill(result), value: result, code: exitCode };
      };
    }
    case 'purge': {
      const f = invocation.flags;
      if (f.yes && !f.reason?.trim()) throw new ConfigError('purge --yes needs --reason (it goes into the audit record)', { problems: ['--reason'] });
      const o = { jobId: f.job!, yes: f.yes === true, reason: f.reason ?? '', force: f.force === true };
      return async (deps) => {
        const { result, exitCode } = await purgeCommand(o, deps);
        return { text: renderPurge(result), value: result, code: exitCode };
      };
    }
  }
}

function prepareRedrive(f: RedriveFlags): PreparedCommand {
  const perSecond = wholeNumber('--rate', f.rate, { min: 1, max: 500, default: 10 });
  const dryRun = f.dryRun === true;
  if (f.reports) {
    const since = f.since === undefined ? undefined : new Date(f.since);
    if (since && Number.isNaN(since.getTime())) throw new ConfigError(`--since ${JSON.stringify(f.since)} is not a time`, { problems: ['--since'] });
    const o = { jobId: f.job, since, code: f.code, perSecond, dryRun };
    return async (deps) => {
      const { result, exitCode } = await redriveReportsCommand(o, deps);
      return { text: renderReportRedrive(result, dryRun), value: result, code: exitCode };
    };
  }
  if (f.job || f.since || f.code)
    throw new ConfigError('--job, --since and --code select dead-letter reports: use them with --reports', { problems: ['--reports'] });
  const o = {
    queues: (f.queue === 'all' ? ['chunks', 'assemble'] : [f.queue]) as RedriveQueue[],
    perSecond,
    method: f.method as RedriveMethod,
    waitS: wholeNumber('--wait', f.wait, { min: 0, max: 3600, default: 0 }),
    max: wholeNumber('--max', f.max, { min: 1, max: 10_000_000, default: 100_000 }),
    dryRun,
  };
  return async (deps) => {
    const { result, exitCode } = await redriveCommand(o, deps);
    return { text: renderRedrive(result), value: result, code: exitCode };
  };
}

function selectionOf(f: BackfillFlags): BackfillSelection {
  const given = [f.job !== undefined, f.prefix !== undefined, f.since !== undefined].filter(Boolean).length;
  if (given !== 1) throw new ConfigError('backfill needs exactly one of --job, --prefix, --since', { problems: ['--job | --prefix | --since'] });
  return f.job !== undefined ? { job: f.job } : f.prefix !== undefined ? { prefix: f.prefix } : { since: f.since! };
}
