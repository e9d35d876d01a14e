import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../../../../shared/core/errors.js';
import { decodeCursor, encodeCursor, parseLinesRequest, parseNoParams, parseSearchRequest } from '../../../../../shared/core/logs/index.js';

const merged = encodeCursor({ order: 'merged', key: [1_795_600_800_123, 'rank-1', 20_000_007] });

describe('cursors', () => {
  it('round-trip both orders and stay opaque', () => {
    expect(decodeCursor(merged, 'after')).toEqual({ order: 'merged', key: [1_795_600_800_123, 'rank-1', 20_000_007] });
    expect(decodeCursor(encodeCursor({ order: 'source', key: [42] }), 'after')).toEqual({ order: 'source', key: [42] });
    expect(merged).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('round-trip what a merged cursor saw per source, and give out the key alone when the list does not fit', () => {
    const seen = { main: 39_999_999, 'rank-1': 20_000_007 };
    const text = encodeCursor({ order: 'merged', key: [1_795_600_800_123, 'rank-1', 20_000_007], seen });
    expect(text).toMatch(/^v\.[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text, 'after')).toEqual({ order: 'merged', key: [1_795_600_800_123, 'rank-1', 20_000_007], seen });
    // 512 ranks named like a hash: too many to list in a URL.
    const many = Object.fromEntries(Array.from({ length: 512 }, (_, i) => [`worker-${(i * 2_654_435_761).toString(36)}`, i * 10_000_000 + i]));
    expect(decodeCursor(encodeCursor({ order: 'merged', key: [1, 'main', 2], seen: many }), 'after')).toEqual({ order: 'merged', key: [1, 'main', 2] });
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['a listing cursor that is not deflate', `v.${Buffer.from('["x"]').toString('base64url')}`],
    ['a listing cursor with a negative sequence', `v.${deflateRawSync(JSON.stringify([1, 'main', 2, { main: -2 }])).toString('base64url')}`],
    ['a listing cursor with a query for a source list', `v.${deflateRawSync(JSON.stringify([1, 'main', 2, [{ match_all: {} }]])).toString('base64url')}`],
    [
      'a listing cursor inflating to megabytes',
      `v.${deflateRawSync(JSON.stringify([1, 'main', 2, { a: 1, pad: 'x'.repeat(4_000_000) }])).toString('base64url')}`,
    ],
    ['base64 of something else', Buffer.from('{"a":1}').toString('base64url')],
    ['a query smuggled in a key', Buffer.from(JSON.stringify(['s', { match_all: {} }])).toString('base64url')],
    ['a negative position', Buffer.from(JSON.stringify(['s', -1])).toString('base64url')],
    ['a huge one', 'A'.repeat(600)],
  ])('refuse %s as a 400', (_what, text) => {
    expect(() => decodeCursor(text, 'after')).toThrow(InvalidParameterError);
  });
});

describe('parseLinesRequest', () => {
  it('defaults to the first page of 200', () => {
    expect(parseLinesRequest('')).toEqual({ anchor: { kind: 'after', cursor: 'start' }, limit: 200, filters: {}, waitMs: 0 });
  });

  it('reads every anchor, filters and the tail wait', () => {
    expect(parseLinesRequest(`after=${merged}&wait=20&limit=50`)).toMatchObject({
      anchor: { kind: 'after', cursor: { order: 'merged' } },
      limit: 50,
      waitMs: 20_000,
    });
    expect(parseLinesRequest('before=end').anchor).toEqual({ kind: 'before', cursor: 'end' });
    expect(parseLinesRequest(`around=${merged}`).anchor).toMatchObject({ kind: 'around', cursor: { order: 'merged' } });
    expect(parseLinesRequest('from=12344&source=main').anchor).toEqual({ kind: 'from', line: 12344 });
    expect(parseLinesRequest('at=2026-11-25T10:00:00Z').anchor).toEqual({ kind: 'at', time: Date.parse('2026-11-25T10:00:00Z') });
    expect(parseLinesRequest('source=rank-0,rank-1&stream=stderr&level=error,warn').filters).toEqual({
      sources: ['rank-0', 'rank-1'],
      streams: ['stderr'],
      levels: ['error', 'warn'],
    });
  });

  it.each([
    ['limit=1000000000', /limit/],
    ['limit=0', /limit/],
    ['limit=12abc', /limit/],
    ['wait=21&after=start', /wait/],
    ['wait=5&before=end', /wait goes with after/],
    ['after=start&before=end', /at most one/],
    ['around=start', /around is not a cursor/],
    ['around=end&from=3', /at most one/],
    ['from=-1', /from/],
    ['at=yesterday', /RFC 3339/],
    ['source=../etc', /source/],
    ['stream=stdin', /stream/],
    ['level=ERROR%20OR%201', /level/],
    ['limit=5&limit=6', /twice/],
    ['q=x', /Unknown parameter "q"/],
    ['%3Cscript%3E=1', /Unknown parameter/],
  ])('refuses %s with a clear 400', (query, why) => {
    expect(() => parseLinesRequest(query)).toThrow(InvalidParameterError);
    expect(() => parseLinesRequest(query)).toThrow(why);
  });
});

describe('parseSearchRequest', () => {
  it('reads words and quoted phrases, never a query language', () => {
    expect(parseSearchRequest('q=CUDA+%22out+of+memory%22+rank*').terms).toEqual({ words: ['CUDA', 'rank*'], phrases: ['out of memory'] });
  });

  it.each([
    ['', /q is required/],
    ['q=', /q is empty/],
    ['q=%20%20', /q is empty/],
    [`q=${'a'.repeat(257)}`, /longer than 256/],
    [`q=${Array.from({ length: 17 }, (_, i) => `w${i}`).join('+')}`, /more than 16/],
    ['q=x&limit=501', /limit/],
  ])('refuses %s', (query, why) => {
    expect(() => parseSearchRequest(query)).toThrow(why);
  });
});

describe('parseNoParams', () => {
  it('refuses any parameter on the summary route', () => {
    expect(() => parseNoParams('')).not.toThrow();
    expect(() => parseNoParams('x=1')).toThrow(/takes none/);
  });
});
