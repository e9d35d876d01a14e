import { describe, expect, it } from 'vitest';
import {
  formatTraceparent,
  newSpanId,
  newTraceId,
  normalizeSpanId,
  normalizeTraceId,
  parseTraceparent,
  readTraceparent,
} from '../../../../../shared/core/contract/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it('reads the trace and parent ids of a sampled version-00 header', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN });
  });

  it('reads an unsampled header too: flags do not matter for correlation', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)).toEqual({ traceId: TRACE, spanId: SPAN });
  });

  it('tolerates surrounding blanks from hand-written metadata', () => {
    expect(parseTraceparent(`  00-${TRACE}-${SPAN}-01\n`)).toEqual({ traceId: TRACE, spanId: SPAN });
  });

  it('accepts uppercase hex and normalises it to lowercase', () => {
    expect(parseTraceparent(`00-${TRACE.toUpperCase()}-${SPAN.toUpperCase()}-01`)).toEqual({ traceId: TRACE, spanId: SPAN });
  });

  it('reads a future version with extra fields, as the spec asks', () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-what-the-future-will-be-like`)).toEqual({ traceId: TRACE, spanId: SPAN });
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN });
  });

  it.each([
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version 00 with an extra field', `00-${TRACE}-${SPAN}-01-extra`],
    ['version 00 with a trailing dash', `00-${TRACE}-${SPAN}-01-`],
    ['a future version glued to more text', `01-${TRACE}-${SPAN}-01extra`],
    ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['a long parent id', `00-${TRACE}-${SPAN}0-01`],
    ['non-hex characters', `00-${TRACE.slice(0, 31)}g-${SPAN}-01`],
    ['a one-digit version', `0-${TRACE}-${SPAN}-01`],
    ['missing flags', `00-${TRACE}-${SPAN}`],
    ['underscores for dashes', `00_${TRACE}_${SPAN}_01`],
    ['an empty value', ''],
    ['no value', undefined],
    ['a B3 header', `${TRACE}-${SPAN}-1`],
  ])('ignores %s', (_, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('normalizeTraceId', () => {
  it('accepts a 32-hex id and lowercases it', () => {
    expect(normalizeTraceId(TRACE)).toBe(TRACE);
    expect(normalizeTraceId(` ${TRACE.toUpperCase()} `)).toBe(TRACE);
  });

  it.each(['0'.repeat(32), TRACE.slice(1), `${TRACE}0`, `${TRACE.slice(0, 31)}z`, '', '4bf92f35-77b3-4da6-a3ce-929d0e0e4736'])('refuses %j', (value) => {
    expect(normalizeTraceId(value)).toBeUndefined();
  });

  it.each([null, undefined, 42, { id: TRACE }, [TRACE]])('refuses the non-string %j', (value) => {
    expect(normalizeTraceId(value)).toBeUndefined();
  });
});

describe('normalizeSpanId', () => {
  it('accepts a 16-hex id and lowercases it', () => {
    expect(normalizeSpanId(SPAN.toUpperCase())).toBe(SPAN);
  });

  it.each(['0'.repeat(16), SPAN.slice(1), `${SPAN}0`, TRACE, 'zzzzzzzzzzzzzzzz', ''])('refuses %j', (value) => {
    expect(normalizeSpanId(value)).toBeUndefined();
  });

  it('refuses a number even if it looks like an id', () => {
    expect(normalizeSpanId(1234567890123456)).toBeUndefined();
  });
});

describe('readTraceparent', () => {
  it('reads the version and the flags too', () => {
    expect(readTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ version: '00', traceId: TRACE, parentId: SPAN, flags: 1 });
    expect(readTraceparent(`7f-${TRACE}-${SPAN}-09-more`)).toEqual({ version: '7f', traceId: TRACE, parentId: SPAN, flags: 9 });
  });
});

describe('formatTraceparent', () => {
  it('writes version 00 in lowercase with two-digit flags', () => {
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, flags: 1 })).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, flags: 0 })).toBe(`00-${TRACE}-${SPAN}-00`);
  });

  it('round-trips through readTraceparent', () => {
    const ids = { traceId: newTraceId(), spanId: newSpanId(), flags: 1 };
    expect(readTraceparent(formatTraceparent(ids))).toEqual({ version: '00', traceId: ids.traceId, parentId: ids.spanId, flags: 1 });
  });
});
