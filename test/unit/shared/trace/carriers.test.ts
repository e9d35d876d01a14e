import { describe, expect, it } from 'vitest';
import {
  continueTrace,
  jobTraceEnv,
  s3TraceMetadata,
  sqsTraceAttributes,
  traceFromEnv,
  traceFromHeaders,
  traceFromS3Metadata,
  traceFromSqsMessage,
  traceHeaders,
  tracedFetch,
  withTrace,
} from '../../../../shared/trace/index.js';
import { PARENT, TRACE, TRACEPARENT } from './support.js';

const incoming = continueTrace({ traceparent: TRACEPARENT, tracestate: 'vendor=abc', requestId: 'req-1' });
const ourTraceparent = `00-${TRACE}-${incoming.spanId}-01`;

describe('HTTP headers', () => {
  it("sends our span as the callee's parent, with tracestate and x-request-id forwarded", () => {
    expect(traceHeaders(incoming)).toEqual({ traceparent: ourTraceparent, tracestate: 'vendor=abc', 'x-request-id': 'req-1' });
  });

  it('sends only traceparent when there is no state and no request id', () => {
    expect(Object.keys(traceHeaders(continueTrace({ traceparent: TRACEPARENT })))).toEqual(['traceparent']);
  });

  it('reads headers in any case, as API Gateway passes them', () => {
    expect(traceFromHeaders({ Traceparent: TRACEPARENT, 'X-Request-ID': 'r-9' })).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, requestId: 'r-9' });
  });

  it('joins repeated tracestate headers into one list, and refuses a repeated traceparent', () => {
    expect(traceFromHeaders({ traceparent: TRACEPARENT, tracestate: ['a=1', 'b=2'] }).traceState).toBe('a=1,b=2');
    expect(traceFromHeaders({ traceparent: [TRACEPARENT, TRACEPARENT] }).traceId).not.toBe(TRACE);
  });

  it('round-trips: what one service sends, the next continues as a child', () => {
    const next = traceFromHeaders(traceHeaders(incoming));
    expect(next).toMatchObject({ traceId: TRACE, parentSpanId: incoming.spanId, traceState: 'vendor=abc', requestId: 'req-1' });
  });
});

describe('tracedFetch', () => {
  const recorder = () => {
    const sent: Headers[] = [];
    const fetchImpl = (async (_input: string | URL | Request, init?: RequestInit) => {
      sent.push(new Headers(init?.headers));
      return new Response('ok');
    }) as typeof fetch;
    return { sent, fetchImpl };
  };

  it("adds the current context to outbound requests and keeps the caller's own headers", async () => {
    const { sent, fetchImpl } = recorder();
    await withTrace(incoming, () => tracedFetch(fetchImpl)('http://worker/jobs', { headers: { 'content-type': 'application/json' } }));
    expect(Object.fromEntries(sent[0]!)).toEqual({
      'content-type': 'application/json',
      traceparent: ourTraceparent,
      tracestate: 'vendor=abc',
      'x-request-id': 'req-1',
    });
  });

  it('keeps headers of a Request object and never overrides a traceparent the caller set', async () => {
    const { sent, fetchImpl } = recorder();
    const own = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    await withTrace(incoming, () => tracedFetch(fetchImpl)(new Request('http://worker/', { headers: { traceparent: own, accept: 'text/plain' } })));
    expect(sent[0]!.get('traceparent')).toBe(own);
    expect(sent[0]!.get('accept')).toBe('text/plain');
  });

  it('is the plain fetch outside any trace', async () => {
    const { sent, fetchImpl } = recorder();
    await tracedFetch(fetchImpl)('http://worker/');
    expect(sent[0]!.has('traceparent')).toBe(false);
  });
});

describe('SQS, S3 and job carriers', () => {
  it('puts the context in SQS message attributes and reads it back as the SDK returns them', () => {
    const attributes = sqsTraceAttributes(incoming);
    expect(attributes['traceparent']).toEqual({ DataType: 'String', StringValue: ourTraceparent });
    expect(traceFromSqsMessage({ MessageAttributes: attributes })).toMatchObject({
      traceId: TRACE,
      parentSpanId: incoming.spanId,
      traceState: 'vendor=abc',
      requestId: 'req-1',
    });
  });

  it('reads the attributes of an SQS record as Lambda delivers them', () => {
    const record = { messageAttributes: { traceparent: { stringValue: TRACEPARENT, dataType: 'String' } } };
    expect(traceFromSqsMessage(record)).toMatchObject({ traceId: TRACE, parentSpanId: PARENT });
  });

  it('starts a new trace for a message without attributes', () => {
    expect(traceFromSqsMessage({}).traceId).not.toBe(TRACE);
  });

  it("puts the context in S3 user metadata under the chunk contract's name and reads it back", () => {
    const metadata = s3TraceMetadata(incoming);
    expect(metadata['traceparent']).toBe(ourTraceparent);
    expect(traceFromS3Metadata(metadata)).toMatchObject({ traceId: TRACE, parentSpanId: incoming.spanId });
  });

  it('gives a spawned job TRACEPARENT and TRACESTATE, which the job continues', () => {
    const env = jobTraceEnv(incoming);
    expect(env).toEqual({ TRACEPARENT: ourTraceparent, TRACESTATE: 'vendor=abc' });
    expect(traceFromEnv(env)).toMatchObject({ traceId: TRACE, parentSpanId: incoming.spanId, traceState: 'vendor=abc' });
  });

  it('starts a new trace for a job started without TRACEPARENT', () => {
    expect(traceFromEnv({}).parentSpanId).toBeUndefined();
  });
});
