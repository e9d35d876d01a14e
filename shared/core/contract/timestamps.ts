/** A point in time as Elasticsearch `date_nanos` accepts it, plus its epoch millis for comparisons. Shared between lines (readers keep their last answers): never changed. */
export interface Timestamp {
  readonly iso: string;
  readonly ms: number;
}

// 2026-11-25T10:00:00.123456Z, 2026-11-25 10:00:00,123 (Python logging), offsets ±HH:MM / ±HHMM.
const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s?(Z|z|UTC|[+-]\d{2}:?\d{2})?$/;

/**
 * The last two values parsed and what they gave: the lines of a burst share their time (a frame's
 * capture time to the millisecond), and a framed JSON line has two (its frame's and its own).
 */
let lastValue: unknown = NaN;
let lastTimestamp: Timestamp | undefined;
let previousValue: unknown = NaN;
let previousTimestamp: Timestamp | undefined;

/**
 * Parses the time of a log line; no zone means UTC. Returns undefined for anything unparsable.
 * The same value gives the same (frozen) object.
 */
export function parseTimestamp(value: unknown): Timestamp | undefined {
  if (value === lastValue) return lastTimestamp;
  if (value === previousValue) return previousTimestamp;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const timestamp = parseTimeValue(value);
  previousValue = lastValue;
  previousTimestamp = lastTimestamp;
  lastValue = value;
  lastTimestamp = timestamp && Object.freeze(timestamp);
  return lastTimestamp;
}

function parseTimeValue(value: string | number): Timestamp | undefined {
  if (typeof value === 'number') return fromEpochNumber(value);
  const text = value.trim();
  const m = ISO_LIKE.exec(text);
  if (!m) {
    return /^\d{9,19}(\.\d+)?$/.test(text) ? fromEpochNumber(Number(text)) : undefined;
  }
  const second = startOfSecond(text, m[8] ?? 'Z');
  if (!second) return undefined;
  const frac = m[7];
  // Date.UTC(…, second, ms) is the start of that second plus ms, exactly (integer arithmetic).
  if (frac === undefined) return withinDateNanos(second.ms, `${second.iso}.000Z`);
  const fraction = frac.length >= 3 ? frac : frac.padEnd(3, '0');
  const millis = fraction.length === 3 ? fraction : fraction.slice(0, 3);
  const extra = fraction.length === 3 ? '' : trimZeros(fraction.slice(3));
  return withinDateNanos(second.ms + Number(millis), `${second.iso}.${millis}${extra}Z`);
}

/** A second of some zone: its epoch millis and its UTC ISO form up to the seconds (`2026-11-25T10:00:01`). */
interface Second {
  ms: number;
  iso: string;
}

/** Lines of a burst share their second: it is worked out once. A few are kept (loggers of one job differ in format and zone). */
const SECONDS_KEPT = 4;
const seconds: Array<{ date: number; time: number; zone: string; second: Second | undefined }> = [];
let nextSlot = 0;

/** Two ASCII digits of `text` at `i` as a number. */
function twoDigits(text: string, i: number): number {
  return (text.charCodeAt(i) - 0x30) * 10 + text.charCodeAt(i + 1) - 0x30;
}

/** `text` starts with a date and time to the second as {@link ISO_LIKE} matched them (fixed width). */
function startOfSecond(text: string, zone: string): Second | undefined {
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  const date = (year * 100 + month) * 100 + day;
  const time = (hour * 100 + minute) * 100 + second;
  for (let i = 0; i < seconds.length; i++) {
    const kept = seconds[i]!;
    if (kept.date === date && kept.time === time && kept.zone === zone) return kept.second;
  }
  let found: Second | undefined;
  // Date.UTC maps years 0–99 to 19xx and rolls 2026-02-31 over to March: refuse both instead.
  const valid = !(year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) && !(hour > 23 || minute > 59 || second > 60);
  if (valid) {
    const offset = zoneOffsetMinutes(zone);
    // What Date.UTC computes (a leap second rolls over into the next minute the same way).
    const ms = daysSinceEpoch(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 - offset * 60_000;
    // Out of range: left to withinDateNanos (a negative start stays negative with its millis).
    const inRange = Number.isFinite(ms) && ms >= 0 && ms < MAX_DATE_NANOS_MS;
    // A UTC time short of a leap second is already written as toISOString writes it.
    const iso = !inRange ? '' : offset === 0 && second < 60 ? `${text.slice(0, 10)}T${text.slice(11, 19)}` : new Date(ms).toISOString().slice(0, 19);
    found = { ms, iso };
  }
  seconds[nextSlot] = { date, time, zone, second: found };
  nextSlot = (nextSlot + 1) % SECONDS_KEPT;
  return found;
}

function trimZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 0x30) end--;
  return end === digits.length ? digits : digits.slice(0, end);
}

/** The timestamp, or undefined outside what `date_nanos` holds. */
function withinDateNanos(ms: number, iso: string): Timestamp | undefined {
  if (!Number.isFinite(ms) || ms < 0 || ms >= MAX_DATE_NANOS_MS) return undefined;
  return { iso, ms };
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (http://howardhinnant.github.io/date_algorithms.html#days_from_civil). */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days of `month` (1–12) in the proleptic Gregorian calendar, as `Date` counts them. */
function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function zoneOffsetMinutes(zone: string): number {
  if (zone === 'Z' || zone === 'z' || zone === 'UTC') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

/** Epoch numbers by magnitude: seconds (Python `time.time()`), millis (pino), micros, nanos. */
function fromEpochNumber(n: number): Timestamp | undefined {
  if (!Number.isFinite(n) || n <= 0) return undefined;
  if (n < 1e11) {
    // A double of epoch seconds holds about a microsecond: digits below that are binary noise.
    const micros = Math.round(n * 1e6);
    return toTimestamp(Math.floor(micros / 1000), String(micros % 1000).padStart(3, '0'));
  }
  if (n < 1e14) return toTimestamp(Math.floor(n), '');
  if (n < 1e17) return toTimestamp(Math.floor(n / 1e3), '');
  if (n < 1e20) return toTimestamp(Math.floor(n / 1e6), '');
  return undefined;
}

/** `date_nanos` holds 1970-01-01 to 2262-04-11T23:47:16.854775807Z; later values are refused by Elasticsearch. */
const MAX_DATE_NANOS_MS = 9_223_372_036_854;

function toTimestamp(ms: number, subMillisDigits: string): Timestamp | undefined {
  if (!Number.isFinite(ms) || ms < 0 || ms >= MAX_DATE_NANOS_MS) return undefined;
  const iso = isoOfMillis(ms);
  const extra = subMillisDigits === '' ? '' : trimZeros(subMillisDigits);
  return { iso: extra ? `${iso.slice(0, -1)}${extra}Z` : iso, ms };
}

/** `Date.prototype.toISOString` for 0 ≤ ms < MAX_DATE_NANOS_MS, formatted once per second. */
let lastIsoSecond = { second: -1, iso: '' };
const MILLIS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

function isoOfMillis(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastIsoSecond.second) lastIsoSecond = { second, iso: new Date(second * 1000).toISOString().slice(0, 19) };
  return `${lastIsoSecond.iso}.${MILLIS[ms - second * 1000]}Z`;
}

export function timestampFromMillis(ms: number): Timestamp {
  return { iso: new Date(ms).toISOString(), ms };
}
