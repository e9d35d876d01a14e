import { describe, expect, it } from 'vitest';
import { childSpan, continueTrace, normalizeRequestId, normalizeTraceState, startTrace } from '../../../../shared/trace/index.js';
import { PARENT, TRACE, TRACEPARENT } from './support.js';

const HEX16 = /^[0-9a-f]{16}$/;
const HEX32 = /^[0-9a-f]{32}$/;

describe('continueTrace', () => {
  it("continues a valid traceparent in a new span whose parent is the caller's", () => {
    const trace = continueTrace({ traceparent: TRACEPARENT });
    expect(trace).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, traceFlags: 1 });
    expect(trace.spanId).toMatch(HEX16);
    expect(trace.spanId).not.toBe(PARENT);
  });

  it("keeps the caller's flags: an unsampled trace stays unsampled", () => {
    expect(continueTrace({ traceparent: `00-${TRACE}-${PARENT}-00` }).traceFlags).toBe(0);
  });

  it('accepts uppercase hex and continues the same (lowercase) trace', () => {
    expect(continueTrace({ traceparent: TRACEPARENT.toUpperCase() })).toMatchObject({ traceId: TRACE, parentSpanId: PARENT });
  });

  it('continues a future version, reading only the fields it knows', () => {
    expect(continueTrace({ traceparent: `cc-${TRACE}-${PARENT}-01-and-more-fields` })).toMatchObject({ traceId: TRACE, parentSpanId: PARENT });
  });

  it.each([
    ['malformed', 'not-a-traceparent'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['version 00 with an extra field', `${TRACEPARENT}-extra`],
    ['a short trace id', `00-${TRACE.slice(2)}-${PARENT}-01`],
    ['two headers joined by Node', `${TRACEPARENT}, ${TRACEPARENT}`],
    ['no header', undefined],
  ])('starts a new trace on %s, dropping its tracestate', (_, traceparent) => {
    const trace = continueTrace({ traceparent, tracestate: 'vendor=value' });
    expect(trace.traceId).toMatch(HEX32);
    expect(trace.traceId).not.toBe(TRACE);
    expect(trace.parentSpanId).toBeUndefined();
    expect(trace.traceState).toBeUndefined();
    expect(trace.traceFlags).toBe(1);
  });

  it('keeps an x-request-id whether or not the traceparent is valid', () => {
    expect(continueTrace({ traceparent: TRACEPARENT, requestId: 'req-42' }).requestId).toBe('req-42');
    expect(continueTrace({ traceparent: 'garbage', requestId: 'req-42' }).requestId).toBe('req-42');
  });

  it('keeps a valid tracestate with a valid traceparent', () => {
    expect(continueTrace({ traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7' }).traceState).toBe(
      'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    );
  });
});

describe('normalizeTraceState (tracestate limits)', () => {
  const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(',');

  it('keeps up to 32 members in order', () => {
    expect(normalizeTraceState(members(32))).toBe(members(32));
  });

  it('drops a list of 33 members whole', () => {
    expect(normalizeTraceState(members(33))).toBeUndefined();
  });

  it('drops a header longer than 512 characters whole', () => {
    const long = `a=${'x'.repeat(255)},b=${'y'.repeat(255)},c=z`;
    expect(long.length).toBeGreaterThan(512);
    expect(normalizeTraceState(long)).toBeUndefined();
  });

  it('drops members with an invalid key or value and keeps the rest', () => {
    expect(normalizeTraceState('Upper=1,ok=2,bad=a=b,tenant@vendor=3,empty=')).toBe('ok=2,tenant@vendor=3');
  });

  it('is undefined when nothing valid is left', () => {
    expect(normalizeTraceState('===,,')).toBeUndefined();
    expect(normalizeTraceState('')).toBeUndefined();
  });
});

describe('normalizeRequestId', () => {
  it('keeps a printable id, trimmed', () => {
    expect(normalizeRequestId(' 7f9c-42 ')).toBe('7f9c-42');
  });

  it.each([
    ['an empty value', ''],
    ['a value with a space inside', 'a b'],
    ['a control character (header or log injection)', 'abc\ndef'],
    ['non-ASCII', 'réq'],
    ['129 characters', 'x'.repeat(129)],
  ])('drops %s', (_, value) => {
    expect(normalizeRequestId(value)).toBeUndefined();
  });
});

describe('startTrace and childSpan', () => {
  it('starts a sampled root span with fresh ids', () => {
    const a = startTrace();
    const b = startTrace();
    expect(a).toEqual({ traceId: expect.stringMatching(HEX32), spanId: expect.stringMatching(HEX16), traceFlags: 1 });
    expect(b.traceId).not.toBe(a.traceId);
  });

  it('draws again when the random source gives all zeros', () => {
    let calls = 0;
    const zerosFirst = (n: number) => (calls++ < 2 ? Buffer.alloc(n) : Buffer.alloc(n, 0xab));
    expect(startTrace({ random: zerosFirst })).toMatchObject({ traceId: 'ab'.repeat(16), spanId: 'ab'.repeat(8) });
  });

  it("creates a child span in the same trace, parented by its parent's span, keeping state and request id", () => {
    const parent = { ...continueTrace({ traceparent: TRACEPARENT, tracestate: 'k=v', requestId: 'r1' }) };
    const child = childSpan(parent);
    expect(child).toEqual({ ...parent, spanId: expect.stringMatching(HEX16), parentSpanId: parent.spanId });
    expect(child.spanId).not.toBe(parent.spanId);
    const grandchild = childSpan(child);
    expect(grandchild).toMatchObject({ traceId: TRACE, parentSpanId: child.spanId });
  });
});
