import { describe, expect, it } from 'vitest';
import { WatchSignalError } from '../../../../../shared/core/errors.js';
import { encodeWatchSignal, parseWatchSignal, watchKey } from '../../../../../shared/core/watch/index.js';

const NOW = Date.parse('2026-12-01T10:00:00.000Z');

describe('the watch signal', () => {
  it('lives at watch/v1/<jobId>.json, for valid job ids only', () => {
    expect(watchKey('job-1')).toBe('watch/v1/job-1.json');
    expect(() => watchKey('../registry/v1/x')).toThrow(WatchSignalError);
  });

  it('round-trips: the until the logs API writes is the one the shipper reads', () => {
    const body = encodeWatchSignal(NOW, 90_000);
    expect(JSON.parse(body)).toEqual({ until: '2026-12-01T10:01:30.000Z' });
    expect(parseWatchSignal(body, NOW)).toBe(NOW + 90_000);
  });

  it('clamps an until far ahead (a writer clock far off) to ten minutes', () => {
    expect(parseWatchSignal(JSON.stringify({ until: '2030-01-01T00:00:00Z' }), NOW)).toBe(NOW + 10 * 60_000);
  });

  it('refuses bodies that are not a signal', () => {
    for (const body of ['', 'not json', '{}', '{"until":"soon"}', '{"until":12}', 'null', JSON.stringify({ until: 'x'.repeat(2000) })]) {
      expect(() => parseWatchSignal(body, NOW), body.slice(0, 40)).toThrow(WatchSignalError);
    }
  });
});
