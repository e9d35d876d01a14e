import { describe, expect, it } from 'vitest';
import { parseTimestamp, timestampFromMillis } from '../../../../../shared/core/contract/index.js';
import { seededRandom } from '../../../../../testkit/random.js';

const MS = Date.UTC(2026, 10, 25, 10, 0, 0, 123); // 2026-11-25T10:00:00.123Z
const ISO = '2026-11-25T10:00:00.123Z';

describe('parseTimestamp — text', () => {
  it.each([
    ['2026-11-25T10:00:00.123Z', ISO],
    ['2026-11-25T10:00:00.123z', ISO],
    ['2026-11-25T10:00:00.123', ISO],
    ['2026-11-25 10:00:00.123', ISO],
    ['2026-11-25 10:00:00,123', ISO],
    ['2026-11-25 10:00:00,123 UTC', ISO],
    ['2026-11-25T12:00:00.123+02:00', ISO],
    ['2026-11-25T12:00:00.123+0200', ISO],
    ['2026-11-25T04:30:00.123-05:30', ISO],
    ['2026-11-25T10:00:00.123+00:00', ISO],
    ['2026-11-25 10:00:00,123 +0000', ISO],
    ['  2026-11-25T10:00:00.123Z\n', ISO],
    ['2026-11-25T10:00:00.1Z', '2026-11-25T10:00:00.100Z'],
    ['2026-11-25T10:00:00Z', '2026-11-25T10:00:00.000Z'],
    ['2026-11-25T10:00:00.123456Z', '2026-11-25T10:00:00.123456Z'],
    ['2026-11-25T10:00:00.123456789Z', '2026-11-25T10:00:00.123456789Z'],
    ['2026-11-25T10:00:00.123000Z', ISO],
    ['2026-11-25T10:00:00.000001Z', '2026-11-25T10:00:00.000001Z'],
    ['2026-11-25T23:30:00.000-01:00', '2026-11-26T00:30:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %j as %s', (text, iso) => {
    const ts = parseTimestamp(text);
    expect(ts?.iso).toBe(iso);
    expect(ts?.ms).toBe(Date.parse(iso));
  });

  it('keeps the exact millis of a nanosecond time', () => {
    expect(parseTimestamp('2026-11-25T10:00:00.123999999Z')).toEqual({ iso: '2026-11-25T10:00:00.123999999Z', ms: MS });
  });

  it.each([
    '',
    'yesterday',
    '25/11/2026 10:00:00',
    'Wed Nov 25 10:00:00 2026',
    '2026-11-25',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-11-00T00:00:00Z',
    '2026-11-31T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-02-31T00:00:00Z',
    '2026-11-25T24:00:00Z',
    '2026-11-25T10:60:00Z',
    '2026-11-25T10:00:61Z',
    '2026-11-25T10:00:00.1234567890Z',
    '2026-11-25T10:00:00+2',
    '2026-11-25T10:00:00 PST',
    '1969-12-31T23:59:59Z',
    '0099-01-01T00:00:00Z',
    '12345678',
  ])('refuses %j', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });

  it('refuses times Elasticsearch date_nanos cannot hold', () => {
    expect(parseTimestamp('2262-04-11T23:47:16.853Z')?.iso).toBe('2262-04-11T23:47:16.853Z');
    expect(parseTimestamp('2262-04-11T23:47:16.855Z')).toBeUndefined();
    expect(parseTimestamp('2300-01-01T00:00:00Z')).toBeUndefined();
    expect(parseTimestamp('9999-12-31T23:59:59Z')).toBeUndefined();
  });

  it('reads the epoch itself', () => {
    expect(parseTimestamp('1970-01-01T00:00:00Z')).toEqual({ iso: '1970-01-01T00:00:00.000Z', ms: 0 });
  });
});

describe('parseTimestamp — epoch numbers', () => {
  it.each([
    ['seconds (time.time())', 1795600800, '2026-11-25T10:00:00.000Z'],
    ['float seconds with millis', 1795600800.123, ISO],
    ['float seconds with micros', 1795600800.123456, '2026-11-25T10:00:00.123456Z'],
    ['float seconds just under a second', 1795600800.999999, '2026-11-25T10:00:00.999999Z'],
    ['float seconds with a half second', 1795600800.5, '2026-11-25T10:00:00.500Z'],
    ['millis (pino, Date.now())', MS, ISO],
    ['micros', MS * 1000 + 456, '2026-11-25T10:00:00.123Z'],
    // biome-ignore lint/correctness/noPrecisionLoss: a nanosecond timestamp as a JSON parser reads it: rounded
    ['nanos (time.time_ns())', 1795600800123456789, '2026-11-25T10:00:00.123Z'],
  ])('reads %s', (_, value, iso) => {
    expect(parseTimestamp(value)?.iso).toBe(iso);
    expect(parseTimestamp(value)?.ms).toBe(Date.parse(iso));
  });

  it('never lets float noise leak into the sub-millisecond digits', () => {
    for (let ms = 0; ms < 1000; ms++) {
      const seconds = (MS - 123 + ms) / 1000;
      const ts = parseTimestamp(seconds)!;
      expect(ts.ms, `${seconds}`).toBe(MS - 123 + ms);
      expect(ts.iso, `${seconds}`).toBe(new Date(MS - 123 + ms).toISOString());
    }
  });

  it('reads epoch digits written as a string', () => {
    expect(parseTimestamp('1795600800')?.iso).toBe('2026-11-25T10:00:00.000Z');
    expect(parseTimestamp('1795600800.123')?.iso).toBe(ISO);
    expect(parseTimestamp(String(MS))?.iso).toBe(ISO);
    expect(parseTimestamp('1795600800123456789')?.ms).toBe(MS);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e20, 1e300])('refuses %d', (value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });

  it.each([null, undefined, true, {}, [MS]])('refuses a non-time value %j', (value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });
});

describe('parseTimestamp — a repeated time read once', () => {
  it('gives the same frozen answer for a time read again, also with another time read in between', () => {
    const frameTime = parseTimestamp('2026-11-25T10:00:00.123Z');
    const lineTime = parseTimestamp(1795600800603);
    expect(parseTimestamp('2026-11-25T10:00:00.123Z')).toBe(frameTime);
    expect(parseTimestamp(1795600800603)).toBe(lineTime);
    expect(Object.isFrozen(frameTime)).toBe(true);
    expect(frameTime).toEqual({ iso: '2026-11-25T10:00:00.123Z', ms: Date.UTC(2026, 10, 25, 10, 0, 0, 123) });
    expect(parseTimestamp('2026-11-25T10:00:00.124Z')?.ms).toBe(frameTime!.ms + 1);
    expect(parseTimestamp('not a time')).toBeUndefined();
    expect(parseTimestamp('not a time')).toBeUndefined();
    expect(parseTimestamp('1795600800')).toEqual({ iso: '2026-11-25T10:00:00.000Z', ms: 1795600800000 });
  });
});

describe('parseTimestamp — one second worked out once', () => {
  /** The reading of a time before seconds were kept: fields, Date.UTC, toISOString. */
  function reference(text: string): string | undefined {
    const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s?(Z|z|UTC|[+-]\d{2}:?\d{2})?$/.exec(text);
    if (!m) return undefined;
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate() || h > 23 || mi > 59 || s > 60) return undefined;
    const fraction = (m[7] ?? '').padEnd(3, '0');
    const zone = m[8] ?? 'Z';
    const offset = /^[+-]/.test(zone) ? (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.replace(':', '').slice(3, 5))) : 0;
    const ms = Date.UTC(y, mo - 1, d, h, mi, s, Number(fraction.slice(0, 3))) - offset * 60_000;
    if (ms < 0 || ms >= 9_223_372_036_854) return undefined;
    const extra = fraction.slice(3).replace(/0+$/, '');
    const iso = new Date(ms).toISOString();
    return extra ? `${iso.slice(0, -1)}${extra}Z` : iso;
  }

  it('gives every time of a second its own millis, whatever zone, format or validity the times around it have', () => {
    const texts = [
      '2026-11-25T10:00:01.256Z',
      '2026-11-25 10:00:01,044',
      '2026-11-25T10:00:01.5+02:00',
      '2026-11-25T10:00:01-0130',
      '2026-11-25 10:00:01 UTC',
      '2026-11-25T10:00:01.123456789Z',
      '2026-11-25T10:00:01.100000Z',
      '2026-02-29T10:00:01Z',
      '2028-02-29T10:00:01Z',
      '2000-02-29T00:00:00Z',
      '2100-02-29T00:00:00Z',
      '2026-12-31T23:59:60.5Z',
      '1970-01-01T00:00:00+01:00',
      '1970-01-01T00:30:00.999+00:30',
      '2262-04-11T23:47:16.854Z',
      '2262-04-11T23:47:16.853Z',
    ];
    for (let round = 0; round < 3; round++) {
      for (const text of [...texts, ...texts.reverse()]) expect(parseTimestamp(text)?.iso, text).toBe(reference(text));
    }
  });

  it('reads 20 000 random times of 1970–2300 in any zone as Date does', () => {
    const random = seededRandom(9);
    const int = (n: number) => Math.floor(random() * n);
    const two = (n: number) => String(n).padStart(2, '0');
    const zones = ['', 'Z', 'z', ' UTC', '+02:00', '-0130', '+14:00', '-12:00', '+00:00'];
    for (let i = 0; i < 20_000; i++) {
      const text = `${1970 + int(331)}-${two(1 + int(12))}-${two(1 + int(31))}${random() < 0.5 ? 'T' : ' '}${two(int(24))}:${two(int(60))}:${two(int(61))}${
        random() < 0.7
          ? `.${String(int(1e6))
              .padStart(6, '0')
              .slice(0, 1 + int(6))}`
          : ''
      }${zones[int(zones.length)]}`;
      expect(parseTimestamp(text)?.iso, text).toBe(reference(text));
    }
  });
});

describe('timestampFromMillis', () => {
  it('pairs the millis with their ISO form', () => {
    expect(timestampFromMillis(MS)).toEqual({ iso: ISO, ms: MS });
  });
});
