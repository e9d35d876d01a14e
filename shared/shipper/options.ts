import { hostname } from 'node:os';
import path from 'node:path';
import { isValidJobId, MAX_CHUNK_BYTES, parseTraceparent } from '../core/contract/index.js';
import { ScrubConfigError, Scrubber } from '../core/scrub/index.js';
import { maxFrameBytes } from './frame-writer.js';
import { FramingMode, OverflowPolicy, ShipperDefaults } from './constants.js';
import { ShipperOptionsError } from './errors.js';
import type { MultilineOptions, ShipperOptions } from './types.js';
import type { EventMarkerOptions } from './event-marker.js';
import { compileRules, MultilinePatternError } from '../core/multiline/index.js';

export type ResolvedShipperOptions = Required<
  Omit<ShipperOptions, 'dataset' | 'service' | 'traceparent' | 'containerId' | 'onEvent' | 'multiline' | 'redact'>
> &
  Pick<ShipperOptions, 'dataset' | 'service' | 'traceparent' | 'containerId' | 'onEvent'> & {
    /** The event marker's options; undefined when events are not marked. */
    events: EventMarkerOptions | undefined;
    /** Undefined: scrubbing is off. */
    redact: ResolvedRedaction | undefined;
  };

/** The redaction the shipper applies: plain data (it travels to the framing worker). */
export interface ResolvedRedaction {
  patterns: boolean;
  secrets: Array<{ name: string; value: string }>;
}

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DATASET = /^mlplatform(\.[a-z0-9_]+){1,3}$/;
// S3 bucket naming rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), loosely.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Applies defaults and checks every field; throws {@link ShipperOptionsError} listing all problems. */
export function resolveShipperOptions(options: ShipperOptions): ResolvedShipperOptions {
  const problems: string[] = [];
  const { multiline, ...rest } = options;
  const o = {
    ...ShipperDefaults,
    host: hostname(),
    ...stripUndefined(rest),
    events: eventOptions(multiline, problems),
    redact: resolveRedaction(options.redact, problems),
  } as ResolvedShipperOptions;
  if (typeof o.jobId !== 'string' || !isValidJobId(o.jobId)) problems.push(`jobId ${JSON.stringify(o.jobId)} must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`);
  if (typeof o.source !== 'string' || !SOURCE.test(o.source)) problems.push(`source ${JSON.stringify(o.source)} must match ${SOURCE.source}`);
  if (typeof o.bucket !== 'string' || !BUCKET.test(o.bucket)) problems.push(`bucket ${JSON.stringify(o.bucket)} is not a valid S3 bucket name`);
  for (const name of ['prefix', 'watchPrefix'] as const)
    if (typeof o[name] !== 'string' || (o[name] !== '' && !o[name].endsWith('/')))
      problems.push(`${name} ${JSON.stringify(o[name])} must be empty or end with "/"`);
  if (o.dataset !== undefined && (!DATASET.test(o.dataset) || o.dataset.length > 64))
    problems.push(`dataset ${JSON.stringify(o.dataset)} must be mlplatform.<name> (1–3 lowercase [a-z0-9_] segments, ≤ 64 chars)`);
  if (o.traceparent !== undefined && !parseTraceparent(o.traceparent))
    problems.push(`traceparent ${JSON.stringify(o.traceparent)} is not a valid W3C traceparent`);
  if (typeof o.spoolDir !== 'string' || o.spoolDir === '') problems.push('spoolDir is required');
  if (o.overflow !== OverflowPolicy.dropOldest && o.overflow !== OverflowPolicy.block)
    problems.push(`overflow ${JSON.stringify(o.overflow)} must be "drop-oldest" or "block"`);
  if (o.framing !== FramingMode.inline && o.framing !== FramingMode.worker) problems.push(`framing ${JSON.stringify(o.framing)} must be "inline" or "worker"`);
  if (!o.s3 || typeof (o.s3 as { putObject?: unknown }).putObject !== 'function')
    problems.push('s3 must be an S3ObjectClient (new SigV4ObjectClient(), or sdkObjectClient(new S3Client({})))');
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function') problems.push('onEvent must be a function');
  const positive: Array<[keyof ResolvedShipperOptions, number]> = [
    ['flushIntervalMs', 1],
    ['idleFlushIntervalMs', 0],
    ['freshStartMs', 0],
    ['watchPollIntervalMs', 100],
    ['maxChunkBytes', 1024],
    ['maxLineBytes', 16],
    ['maxBufferedBytes', 1024],
    ['spoolMaxBytes', 1024],
    ['closeTimeoutMs', 0],
    ['uploadTimeoutMs', 1],
    ['retryBaseMs', 1],
    ['retryMaxMs', 1],
  ];
  for (const [name, min] of positive) {
    const value = o[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
      problems.push(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  if (!Number.isInteger(o.gzipLevel) || o.gzipLevel < 0 || o.gzipLevel > 9)
    problems.push(`gzipLevel must be an integer 0–9, got ${JSON.stringify(o.gzipLevel)}`);
  // A chunk may hold one frame beyond its seal size: together they stay within the readers' bound.
  if (Number.isInteger(o.maxChunkBytes) && Number.isInteger(o.maxLineBytes) && o.maxChunkBytes + maxFrameBytes(o.maxLineBytes) > MAX_CHUNK_BYTES) {
    problems.push(
      `maxChunkBytes (${o.maxChunkBytes}) plus one frame of maxLineBytes (${o.maxLineBytes}) must stay within the contract's ${MAX_CHUNK_BYTES} bytes per chunk`,
    );
  }
  if (problems.length > 0) throw new ShipperOptionsError(problems);
  return o;
}

/** The event marker's options from {@link MultilineOptions}: patterns vetted, bounds checked (problems listed, not thrown). */
function eventOptions(multiline: MultilineOptions | undefined, problems: string[]): EventMarkerOptions | undefined {
  const m = { ...ShipperDefaults.multiline, ...stripUndefined(multiline ?? {}) };
  if (m.enabled === false) return undefined;
  for (const [name, min] of [
    ['maxLines', 2],
    ['maxBytes', 1024],
    ['holdMs', 0],
    ['idleMs', 0],
  ] as const) {
    const value = m[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
      problems.push(`multiline.${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  const rules = { start: m.start, continue: m.continue };
  try {
    compileRules(rules);
  } catch (error) {
    if (!(error instanceof MultilinePatternError)) throw error;
    problems.push(error.message);
  }
  return { rules, maxLines: m.maxLines, maxBytes: m.maxBytes, holdMs: m.holdMs, idleMs: m.idleMs };
}

/** Default: the built-in patterns; the secret values are checked here so a bad one stops the start. */
function resolveRedaction(redact: ShipperOptions['redact'], problems: string[]): ResolvedRedaction | undefined {
  if (redact === false) return undefined;
  const resolved: ResolvedRedaction = { patterns: redact?.patterns ?? true, secrets: (redact?.secrets ?? []).map(({ name, value }) => ({ name, value })) };
  try {
    new Scrubber(resolved);
  } catch (error) {
    if (!(error instanceof ScrubConfigError)) throw error;
    problems.push(...error.problems);
  }
  return resolved;
}

/** Where this job and source keep their spool: `<spoolDir>/<jobId>/<source>/`. */
export function spoolPath(options: Pick<ResolvedShipperOptions, 'spoolDir' | 'jobId' | 'source'>): string {
  return path.join(options.spoolDir, options.jobId, options.source);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
