/** A point in time as Elasticsearch `date_nanos` accepts it, plus its epoch millis for comparisons. */
export interface Timestamp {
  iso: string;
  ms: number;
}

// 2026-11-25T10:00:00.123456Z, 2026-11-25 10:00:00,123 (Python logging), offsets ±HH:MM / ±HHMM.
const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s?(Z|z|UTC|[+-]\d{2}:?\d{2})?$/;

/** Parses the time of a log line; no zone means UTC. Returns undefined for anything unparsable. */
export function parseTimestamp(value: unknown): Timestamp | undefined {
  if (typeof value === 'number') return fromEpochNumber(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const m = ISO_LIKE.exec(text);
  if (!m) {
    return /^\d{9,19}(\.\d+)?$/.test(text) ? fromEpochNumber(Number(text)) : undefined;
  }
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m as unknown as string[];
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  // Date.UTC maps years 0–99 to 19xx and rolls 2026-02-31 over to March: refuse both instead.
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const fraction = frac.padEnd(3, '0');
  let ms = Date.UTC(year, month - 1, day, hour, minute, second, Number(fraction.slice(0, 3)));
  ms -= zoneOffsetMinutes(zone!) * 60_000;
  return toTimestamp(ms, fraction.slice(3));
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
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
  const iso = new Date(ms).toISOString();
  const extra = subMillisDigits.replace(/0+$/, '');
  return { iso: extra ? `${iso.slice(0, -1)}${extra}Z` : iso, ms };
}

export function timestampFromMillis(ms: number): Timestamp {
  return { iso: new Date(ms).toISOString(), ms };
}
