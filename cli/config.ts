import { Option, type Command } from 'commander';
import { isValidJobId } from '../shared/core/contract/index.js';
import { SCRUB_RULES, secretsFromEnvironment } from '../shared/core/scrub/index.js';
import { defaultSpoolRoot, resolveShipperOptions, type ShipperOptions } from '../shared/shipper/index.js';
import { CliConfigError } from './errors.js';

/** The shipper options every command shares, as parsed by commander (flags, then environment). */
export interface CommonFlags {
  jobId?: string;
  bucket?: string;
  source?: string;
  prefix?: string;
  dataset?: string;
  service?: string;
  containerId?: string;
  traceparent?: string;
  flushInterval?: string;
  idleFlushInterval?: string;
  freshStart?: string;
  watchPollInterval?: string;
  maxChunkBytes?: string;
  maxLineBytes?: string;
  spoolDir?: string;
  spoolMaxBytes?: string;
  onSpoolFull?: string;
  closeTimeout?: string;
  forcePathStyle?: boolean;
  verbose?: boolean;
  framing?: string;
  multiline?: string;
  multilineStart?: string;
  multilineContinue?: string;
  eventMaxLines?: string;
  eventMaxBytes?: string;
  eventHold?: string;
  redactEnv?: string;
  /** False with `--no-redact`. */
  redact?: boolean;
}

/** Adds the shared options to a command; each can also come from its JOBLOGS_* variable. */
export function addCommonOptions(command: Command): Command {
  const options = [
    new Option('--job-id <id>', 'job the lines belong to ([A-Za-z0-9][A-Za-z0-9_.-]{0,127})').env('JOBLOGS_JOB_ID'),
    new Option('--bucket <name>', "the environment's log bucket").env('JOBLOGS_BUCKET'),
    new Option('--source <name>', 'writer inside the job').env('JOBLOGS_SOURCE').default('main'),
    new Option('--prefix <prefix>', 'key prefix the bucket notification listens on').env('JOBLOGS_PREFIX').default('chunks/'),
    new Option('--dataset <name>', "mlplatform.<name> dataset (default: the indexer's)").env('JOBLOGS_DATASET'),
    new Option('--service <name>', 'service.name of the lines').env('JOBLOGS_SERVICE'),
    new Option('--container-id <id>', 'container.id of the lines').env('JOBLOGS_CONTAINER_ID'),
    new Option('--traceparent <value>', 'W3C traceparent (default: $TRACEPARENT, else a new one)').env('TRACEPARENT'),
    new Option('--flush-interval <ms>', 'seal a chunk at most this long after its first line while someone watches the job (and at start)')
      .env('JOBLOGS_FLUSH_INTERVAL_MS')
      .default('1000'),
    new Option('--idle-flush-interval <ms>', 'the same while nobody watches the job (default 30000; 0 = always --flush-interval)').env(
      'JOBLOGS_IDLE_FLUSH_INTERVAL_MS',
    ),
    new Option('--fresh-start <ms>', 'stay at --flush-interval this long after start, watched or not (default 60000)').env('JOBLOGS_FRESH_START_MS'),
    new Option(
      '--watch-poll-interval <ms>',
      "how often the job's watch signal is read while it prints and nobody watches (default 2000, jittered; not while it is silent)",
    ).env('JOBLOGS_WATCH_POLL_INTERVAL_MS'),
    new Option('--max-chunk-bytes <n>', 'uncompressed bound of a chunk').env('JOBLOGS_MAX_CHUNK_BYTES'),
    new Option('--max-line-bytes <n>', 'longer lines are split into continuation frames').env('JOBLOGS_MAX_LINE_BYTES'),
    new Option('--spool-dir <dir>', 'where chunks wait for upload (survives restarts; private to this user)')
      .env('JOBLOGS_SPOOL_DIR')
      .default(defaultSpoolRoot()),
    new Option('--spool-max-bytes <n>', 'bound of the spool on disk').env('JOBLOGS_SPOOL_MAX_BYTES'),
    new Option('--on-spool-full <policy>', 'when the spool is full').env('JOBLOGS_ON_SPOOL_FULL').choices(['drop-oldest', 'block']).default('drop-oldest'),
    new Option('--close-timeout <ms>', 'how long to wait for uploads at exit (the rest stays spooled)').env('JOBLOGS_CLOSE_TIMEOUT_MS'),
    new Option('--force-path-style', 'path-style S3 URLs (moto, MinIO)').env('JOBLOGS_S3_FORCE_PATH_STYLE'),
    new Option('--verbose', 'log each upload on stderr').env('JOBLOGS_VERBOSE'),
    new Option(
      '--redact-env <names>',
      `environment variables whose values are secret, comma-separated; added to the well-known ones (${SCRUB_RULES.defaultSecretEnv.slice(0, 3).join(', ')}, …)`,
    ).env('JOBLOGS_REDACT_ENV'),
    new Option('--no-redact', 'ship lines exactly as printed: no secret scrubbing (patterns or values)'),
    // Inline by default: a worker thread (a second V8 isolate) cost ~50 MiB of peak RSS for no
    // measurable throughput (docs/shipper-footprint.md).
    new Option('--framing <where>', 'frame and gzip on the thread that passes output through (inline) or on a worker thread')
      .env('JOBLOGS_FRAMING')
      .choices(['inline', 'worker'])
      .default('inline'),
    new Option('--multiline <on|off>', 'mark multi-line errors (tracebacks, stack traces, panics) as one event each')
      .env('JOBLOGS_MULTILINE')
      .choices(['on', 'off'])
      .default('on'),
    new Option(
      '--multiline-start <regex>',
      "this job's own rule: a line matching it starts an event (checked at start: at most 256 characters, no nested repetition)",
    ).env('JOBLOGS_MULTILINE_START'),
    new Option('--multiline-continue <regex>', "this job's own rule: a line matching it continues the open event (alone: joins the line before it)").env(
      'JOBLOGS_MULTILINE_CONTINUE',
    ),
    new Option('--event-max-lines <n>', 'longest event; the rest goes on as lines (default 500)').env('JOBLOGS_EVENT_MAX_LINES'),
    new Option('--event-max-bytes <n>', 'biggest event; the rest goes on as lines (default 1 MiB)').env('JOBLOGS_EVENT_MAX_BYTES'),
    new Option('--event-hold <ms>', 'how long a chunk due by age may wait for an open event to end (default 2000)').env('JOBLOGS_EVENT_HOLD_MS'),
  ];
  for (const option of options) command.addOption(option);
  return command;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * What the shipper redacts (`redact` of its options) and a warning for every named variable whose
 * value is too short or too long to redact safely. The values come from `env`, the environment
 * the job's command inherits.
 */
export function redactionFrom(
  flags: Pick<CommonFlags, 'redactEnv' | 'redact'>,
  env: NodeJS.ProcessEnv,
): { redact: ShipperOptions['redact']; warnings: string[] } {
  if (flags.redact === false) return { redact: false, warnings: ['secret scrubbing is off (--no-redact): lines are shipped exactly as printed'] };
  const names = (flags.redactEnv ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !ENV_NAME.test(n));
  if (bad.length > 0)
    throw new CliConfigError(
      `--redact-env: ${bad.map((n) => JSON.stringify(n)).join(', ')} ${bad.length === 1 ? 'is not a variable name' : 'are not variable names'}`,
    );
  const { secrets, skipped } = secretsFromEnvironment(names, env);
  // Only for variables the job named: a well-known one set to a placeholder (moto's `test`) is not worth a line.
  const warnings = skipped
    .filter(({ name }) => names.includes(name))
    .map(
      ({ name, bytes }) =>
        `${name} is ${bytes} byte(s) long: not redacted (secret values must be ${SCRUB_RULES.minSecretBytes}–${SCRUB_RULES.maxSecretBytes} bytes)`,
    );
  return { redact: { patterns: true, secrets }, warnings };
}

/**
 * Turns parsed flags into shipper options (without the S3 client), checking them the way
 * {@link resolveShipperOptions} will; throws {@link CliConfigError} naming every problem.
 */
export function shipperOptionsFrom(flags: CommonFlags, traceparent: string): Omit<ShipperOptions, 's3'> {
  const problems: string[] = [];
  if (!flags.jobId) problems.push('--job-id (or JOBLOGS_JOB_ID) is required');
  else if (!isValidJobId(flags.jobId))
    problems.push(`job id ${JSON.stringify(flags.jobId)} is invalid: use 1–128 of [A-Za-z0-9_.-], starting with a letter or digit`);
  if (!flags.bucket) problems.push('--bucket (or JOBLOGS_BUCKET) is required');
  const int = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) {
      problems.push(`${name} must be a whole number, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return Number(value);
  };
  const options: Omit<ShipperOptions, 's3'> = {
    jobId: flags.jobId ?? '',
    bucket: flags.bucket ?? '',
    source: flags.source,
    prefix: flags.prefix,
    dataset: flags.dataset,
    service: flags.service,
    containerId: flags.containerId,
    traceparent,
    flushIntervalMs: int('--flush-interval', flags.flushInterval),
    idleFlushIntervalMs: int('--idle-flush-interval', flags.idleFlushInterval),
    freshStartMs: int('--fresh-start', flags.freshStart),
    watchPollIntervalMs: int('--watch-poll-interval', flags.watchPollInterval),
    maxChunkBytes: int('--max-chunk-bytes', flags.maxChunkBytes),
    maxLineBytes: int('--max-line-bytes', flags.maxLineBytes),
    spoolDir: flags.spoolDir ?? '',
    spoolMaxBytes: int('--spool-max-bytes', flags.spoolMaxBytes),
    overflow: flags.onSpoolFull as ShipperOptions['overflow'],
    closeTimeoutMs: int('--close-timeout', flags.closeTimeout),
    framing: flags.framing as ShipperOptions['framing'],
    multiline: {
      enabled: flags.multiline !== 'off',
      start: flags.multilineStart,
      continue: flags.multilineContinue,
      maxLines: int('--event-max-lines', flags.eventMaxLines),
      maxBytes: int('--event-max-bytes', flags.eventMaxBytes),
      holdMs: int('--event-hold', flags.eventHold),
    },
  };
  if (problems.length > 0) throw new CliConfigError(problems.join('; '));
  // Same checks the shipper will make, with a stand-in client: fail before anything starts.
  resolveShipperOptions({ ...options, s3: { putObject() {} } as unknown as ShipperOptions['s3'] });
  return options;
}
