import { MAX_JSON_DEPTH } from './constants.js';
import { withoutColours } from '../contract/colour-codes.js';
import { parseTimestamp, type Timestamp } from '../contract/timestamps.js';
import { normalizeSpanId, normalizeTraceId } from '../contract/trace-context.js';

/** What one printed line says about itself, before the chunk's context is added. */
export interface ParsedLine {
  message: string;
  /** Unparsable time value found in the line (kept so nothing is lost). */
  badTimestamp?: string;
  timestamp?: Timestamp;
  level?: string;
  logger?: string;
  traceId?: string;
  spanId?: string;
  service?: string;
  host?: string;
  containerId?: string;
  error?: { message?: string; type?: string; stack_trace?: string };
  /** Remaining user JSON fields, indexed as one `flattened` field. */
  fields?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

// Field names of common loggers, first match wins (docs/chunk-contract.md).
/** A field name as loggers write it: dotted at the top level (`"log.level"`) or nested (`log: {level}`). */
interface FieldKey {
  key: string;
  parent?: string;
  leaf?: string;
}

function fieldKeys(...keys: string[]): readonly FieldKey[] {
  return keys.map((key) => {
    const dot = key.indexOf('.');
    return dot > 0 ? { key, parent: key.slice(0, dot), leaf: key.slice(dot + 1) } : { key };
  });
}

const TIME_KEYS = fieldKeys('@timestamp', 'timestamp', 'time', 'ts', 'asctime', 'datetime');
const LEVEL_KEYS = fieldKeys('log.level', 'level', 'levelname', 'severity', 'lvl', 'loglevel');
const MESSAGE_KEYS = fieldKeys('message', 'msg', 'event', 'log', 'text');
const TRACE_KEYS = fieldKeys('trace.id', 'trace_id', 'traceId', 'traceid');
const SPAN_KEYS = fieldKeys('span.id', 'span_id', 'spanId', 'spanid');
const SERVICE_KEYS = fieldKeys('service.name', 'service', 'service_name');
const LOGGER_KEYS = fieldKeys('log.logger', 'logger', 'logger_name', 'name');
const HOST_KEYS = fieldKeys('host.name', 'host.hostname', 'hostname', 'host');
const CONTAINER_KEYS = fieldKeys('container.id');
const ERROR_MESSAGE_KEYS = fieldKeys('error.message');
const ERROR_TYPE_KEYS = fieldKeys('error.type');
const ERROR_STACK_KEYS = fieldKeys('error.stack_trace');
const PINO_ERR_KEYS = fieldKeys('err');
const TRACEBACK_KEYS = fieldKeys('exc_info', 'exception', 'stack_trace', 'stack');

/**
 * Which key lists have a name (or the parent of a dotted name) among an object's top-level
 * keys: most JSON lines (metrics) hold none of them, and one pass over their keys says so
 * instead of ~90 lookups. Only ever too many: taking a field only removes keys.
 */
const KEY_LISTS = [
  TIME_KEYS,
  LEVEL_KEYS,
  MESSAGE_KEYS,
  TRACE_KEYS,
  SPAN_KEYS,
  SERVICE_KEYS,
  LOGGER_KEYS,
  HOST_KEYS,
  CONTAINER_KEYS,
  ERROR_MESSAGE_KEYS,
  ERROR_TYPE_KEYS,
  ERROR_STACK_KEYS,
  PINO_ERR_KEYS,
  TRACEBACK_KEYS,
];
const LISTS_BY_NAME = new Map<string, number>();
KEY_LISTS.forEach((keys, i) => {
  for (const { key, parent } of keys)
    for (const name of parent === undefined ? [key] : [key, parent]) LISTS_BY_NAME.set(name, (LISTS_BY_NAME.get(name) ?? 0) | (1 << i));
});
const [TIME, LEVEL, MESSAGE, TRACE, SPAN, SERVICE, LOGGER, HOST, CONTAINER] = KEY_LISTS.map((_, i) => 1 << i) as [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];
/** The lists of `takeError`: the last five. */
const ERROR_LISTS = (1 << KEY_LISTS.length) - (1 << 9);

function listsIn(obj: Json): number {
  let lists = 0;
  for (const key in obj) lists |= LISTS_BY_NAME.get(key) ?? 0;
  return lists;
}

const anything = (): boolean => true;
const isString = (v: unknown): boolean => typeof v === 'string';
const isTraceId = (v: unknown): boolean => normalizeTraceId(v) !== undefined;
const isSpanId = (v: unknown): boolean => normalizeSpanId(v) !== undefined;

/** pino's numeric levels (https://getpino.io/#/docs/api?id=loggerlevels-object). */
const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

const TEXT_TIME = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:\s?(?:Z|UTC|[+-]\d{2}:?\d{2}))?)\]?/;
const TEXT_LEVEL = /(?:^|[\s[(|:])(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|CRITICAL|FATAL|PANIC)(?=$|[\s\]):|,-])/;

/** Parses one decoded line: a JSON object from a known logger, arbitrary JSON, or plain text. */
export function parseLogLine(text: string): ParsedLine {
  const json = asJsonObject(text);
  if (!json) return fromText(text);
  try {
    return fromJson(json, text);
  } catch (error) {
    // JSON.parse copes with thousands of nesting levels, JSON.stringify (of the capped subtree) does not.
    if (error instanceof RangeError) return fromText(text);
    throw error;
  }
}

function asJsonObject(text: string): Json | undefined {
  const first = firstNonSpace(text);
  if (text.charCodeAt(first) !== 0x7b) return undefined;
  // Most JSON lines end with their `}`: trimming (a copy) only when they do not.
  if (text.charCodeAt(text.length - 1) !== 0x7d && text.trimEnd().at(-1) !== '}') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

function firstNonSpace(text: string): number {
  let i = 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}

function fromText(text: string): ParsedLine {
  const parsed: ParsedLine = { message: text };
  const c = text.charCodeAt(0);
  // TEXT_TIME starts with `[` or a digit: most lines (bars, warnings, tracebacks) are ruled out by their first character.
  const time = c === 0x5b || (c >= 0x30 && c <= 0x39) ? TEXT_TIME.exec(text) : null;
  let rest = text;
  if (time) {
    const ts = parseTimestamp(time[1]!.replace(' UTC', 'Z'));
    if (ts) parsed.timestamp = ts;
    rest = text.slice(time[0].length);
  }
  const level = TEXT_LEVEL.exec(levelWindow(rest));
  if (level) parsed.level = level[1]!.toLowerCase();
  return parsed;
}

/** Where a text line's level word may be: its first 48 characters, with colour codes left out (coloured loggers print the level inside them). */
function levelWindow(rest: string): string {
  const head = rest.slice(0, 96);
  return withoutColours(head).slice(0, 48);
}

function fromJson(obj: Json, original: string): ParsedLine {
  const lists = listsIn(obj);
  const message = (lists & MESSAGE) !== 0 ? takeString(obj, MESSAGE_KEYS) : undefined;
  const parsed: ParsedLine = { message: message ?? original };

  const rawTime = (lists & TIME) !== 0 ? take(obj, TIME_KEYS) : undefined;
  if (rawTime !== undefined) {
    const ts = parseTimestamp(rawTime);
    if (ts) parsed.timestamp = ts;
    else parsed.badTimestamp = typeof rawTime === 'string' ? rawTime : JSON.stringify(rawTime);
  }
  const level = (lists & LEVEL) !== 0 ? take(obj, LEVEL_KEYS) : undefined;
  if (typeof level === 'number' && PINO_LEVELS[level]) parsed.level = PINO_LEVELS[level];
  else if (typeof level === 'string' && level.length <= 32) parsed.level = level.toLowerCase();
  else if (level !== undefined) put(obj, 'level', level);

  if ((lists & TRACE) !== 0) assign(parsed, 'traceId', normalizeTraceId(takeIf(obj, TRACE_KEYS, isTraceId)));
  if ((lists & SPAN) !== 0) assign(parsed, 'spanId', normalizeSpanId(takeIf(obj, SPAN_KEYS, isSpanId)));
  if ((lists & SERVICE) !== 0) assign(parsed, 'service', takeString(obj, SERVICE_KEYS));
  if ((lists & LOGGER) !== 0) assign(parsed, 'logger', takeString(obj, LOGGER_KEYS));
  if ((lists & HOST) !== 0) assign(parsed, 'host', takeString(obj, HOST_KEYS));
  if ((lists & CONTAINER) !== 0) assign(parsed, 'containerId', takeString(obj, CONTAINER_KEYS));
  if ((lists & ERROR_LISTS) !== 0) assign(parsed, 'error', takeError(obj));

  const fields = sanitize(obj, 0);
  if (!isEmpty(fields)) parsed.fields = fields;
  return parsed;
}

/** No key left with a value (taken keys are `undefined`). */
function isEmpty(obj: Json): boolean {
  for (const key in obj) if (obj[key] !== undefined) return false;
  return true;
}

/**
 * Sets a key of user JSON as if a taken one had been deleted: after the keys that are left. A
 * taken key is only set to `undefined` (which `JSON.stringify` leaves out): `delete` turned
 * every parsed line with a known field into a slow dictionary object, which then cost ~14 % more to
 * write (in one process, the benchmark's JSON lines; bench/README.md, `indexer-cpu.ts`).
 */
function put(obj: Json, key: string, value: unknown): void {
  if (Object.hasOwn(obj, key) && obj[key] === undefined) delete obj[key];
  obj[key] = value;
}

/** Finds a value by dotted key (`"log.level": …`) or by path (`log: {level: …}`) and takes it out (see {@link put}). */
function take(obj: Json, keys: readonly FieldKey[]): unknown {
  return takeIf(obj, keys, anything);
}

function takeIf(obj: Json, keys: readonly FieldKey[], accept: (v: unknown) => boolean): unknown {
  for (const { key, parent, leaf } of keys) {
    const v = obj[key];
    if (v !== undefined && v !== null && Object.hasOwn(obj, key) && accept(v)) {
      obj[key] = undefined;
      return v;
    }
    if (parent === undefined) continue;
    const nested = obj[parent];
    if (isObject(nested) && Object.hasOwn(nested, leaf!)) {
      const inner = nested[leaf!];
      if (inner !== undefined && inner !== null && accept(inner)) {
        nested[leaf!] = undefined;
        if (isEmpty(nested)) obj[parent] = undefined;
        return inner;
      }
    }
  }
  return undefined;
}

function takeString(obj: Json, keys: readonly FieldKey[]): string | undefined {
  const v = takeIf(obj, keys, isString);
  return typeof v === 'string' ? v : undefined;
}

/** ECS `error.*`, pino's `err` object, python-json-logger `exc_info`, structlog `exception`. */
function takeError(obj: Json): ParsedLine['error'] {
  const error: NonNullable<ParsedLine['error']> = {};
  const ecsMessage = takeString(obj, ERROR_MESSAGE_KEYS);
  const ecsType = takeString(obj, ERROR_TYPE_KEYS);
  const ecsStack = takeString(obj, ERROR_STACK_KEYS);
  if (ecsMessage) error.message = ecsMessage;
  if (ecsType) error.type = ecsType;
  if (ecsStack) error.stack_trace = ecsStack;
  const err = takeIf(obj, PINO_ERR_KEYS, isObject) as Json | undefined;
  if (err) {
    const { message, type, stack, ...rest } = err;
    if (typeof message === 'string') error.message ??= message;
    if (typeof type === 'string') error.type ??= type;
    if (typeof stack === 'string') error.stack_trace ??= stack;
    // pino's serializer copies every own property (`code`, `errno`, custom ones): keep them as user JSON.
    if (Object.keys(rest).length > 0) put(obj, 'err', rest);
  }
  const trace = takeString(obj, TRACEBACK_KEYS);
  if (trace) error.stack_trace ??= trace;
  return Object.keys(error).length > 0 ? error : undefined;
}

/**
 * Makes user JSON safe for a `flattened` field: empty keys get a name, subtrees deeper than
 * {@link MAX_JSON_DEPTH} become JSON strings (Elasticsearch rejects the whole document past the
 * field's depth_limit).
 */
function sanitize(obj: Json, depth: number): Json {
  // In place: the object is ours, fresh from JSON.parse, and copying it was a hot spot.
  let renames: string[] | undefined;
  for (const key in obj) {
    const value = obj[key];
    if (value !== null && typeof value === 'object') {
      // An own "__proto__" key (JSON.parse makes one) shadows the setter, so this stays data.
      obj[key] =
        depth + 1 >= MAX_JSON_DEPTH ? JSON.stringify(value) : Array.isArray(value) ? sanitizeArray(value, depth + 1) : sanitize(value as Json, depth + 1);
    }
    if (isUnnamed(key)) (renames ??= []).push(key);
  }
  for (const key of renames ?? []) {
    const value = obj[key];
    delete obj[key];
    obj[`_key${JSON.stringify(key)}`] = value;
  }
  return obj;
}

/** Keys Elasticsearch cannot use as a path: empty, blank, or only dots. */
function isUnnamed(key: string): boolean {
  const c = key.charCodeAt(0);
  // Starts with a printable ASCII character other than a dot: named (the common case, decided without a copy).
  if (c > 0x20 && c < 0x7f && c !== 0x2e) return false;
  return key.trim() === '' || (key.charCodeAt(0) === 46 && /^\.+$/.test(key));
}

/** Items sit at their array's depth; an array directly inside an array counts one level deeper. */
function sanitizeArray(values: unknown[], depth: number): unknown[] {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (isObject(v)) values[i] = sanitize(v, depth);
    else if (Array.isArray(v)) values[i] = depth + 1 >= MAX_JSON_DEPTH ? JSON.stringify(v) : sanitizeArray(v, depth + 1);
  }
  return values;
}

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function assign<K extends keyof ParsedLine>(target: ParsedLine, key: K, value: ParsedLine[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
