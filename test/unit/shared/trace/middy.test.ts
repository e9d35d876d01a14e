import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, S3Event } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { currentTrace, traceMiddleware, type TraceContext } from '../../../../shared/trace/index.js';
import { s3EventBody, sqsEvent, sqsRecord } from '../../../fixtures/events.js';
import { lambdaContext } from '../../../../testkit/index.js';
import { gate, PARENT, TRACE, TRACEPARENT } from './support.js';

const httpEvent = (headers: Record<string, string>): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'POST /sign',
    rawPath: '/sign',
    rawQueryString: '',
    headers,
    isBase64Encoded: false,
    requestContext: {} as never,
  }) as APIGatewayProxyEventV2;

/** A handler that answers with the trace it saw, after yielding to the event loop. */
const seeTrace = async (): Promise<APIGatewayProxyResultV2> => {
  await new Promise((resolve) => setImmediate(resolve));
  return { statusCode: 200, body: JSON.stringify(currentTrace()) };
};
const traceOf = (response: unknown): TraceContext => JSON.parse((response as { body: string }).body);

describe('traceMiddleware', () => {
  it("continues the caller's trace from HTTP headers and answers with traceresponse and the x-request-id", async () => {
    const handler = middy(seeTrace).use(traceMiddleware());
    const response = await handler(httpEvent({ traceparent: TRACEPARENT, 'x-request-id': 'ui-1' }), lambdaContext());
    const served = traceOf(response);
    expect(served).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, requestId: 'ui-1' });
    expect(response).toMatchObject({ statusCode: 200, headers: { traceresponse: `00-${TRACE}-${served.spanId}-01`, 'x-request-id': 'ui-1' } });
  });

  it('leaves a non-HTTP result alone', async () => {
    const handler = middy(async () => ({ batchItemFailures: [] })).use(traceMiddleware());
    expect(await handler(sqsEvent(sqsRecord('{}', 'm1')) as never, lambdaContext())).toEqual({ batchItemFailures: [] });
  });

  it('continues the trace of a single SQS message from its attributes', async () => {
    const record = { ...sqsRecord('{}', 'm1'), messageAttributes: { traceparent: { stringValue: TRACEPARENT, dataType: 'String' } } };
    const handler = middy(seeTrace).use(traceMiddleware());
    expect(traceOf(await handler(sqsEvent(record) as never, lambdaContext()))).toMatchObject({ traceId: TRACE, parentSpanId: PARENT });
  });

  it('starts a new trace for a batch of several messages (each record carries its own)', async () => {
    const handler = middy(seeTrace).use(traceMiddleware());
    const trace = traceOf(await handler(sqsEvent(sqsRecord('{}', 'm1'), sqsRecord('{}', 'm2')) as never, lambdaContext()));
    expect(trace.parentSpanId).toBeUndefined();
  });

  it('continues the trace in the metadata of the object an S3 notification names', async () => {
    const event = JSON.parse(s3EventBody('joblogs-test', ['uploads/job 1/model.bin'])) as S3Event;
    const asked: string[] = [];
    const s3Metadata = async (bucket: string, key: string) => {
      asked.push(`${bucket}/${key}`);
      return { traceparent: TRACEPARENT };
    };
    const handler = middy(seeTrace).use(traceMiddleware({ s3Metadata }));
    expect(traceOf(await handler(event as never, lambdaContext()))).toMatchObject({ traceId: TRACE, parentSpanId: PARENT });
    expect(asked).toEqual(['joblogs-test/uploads/job 1/model.bin']);
  });

  it("starts a new trace when the object's metadata cannot be read", async () => {
    const event = JSON.parse(s3EventBody('joblogs-test', ['a.bin'])) as S3Event;
    const handler = middy(seeTrace).use(traceMiddleware({ s3Metadata: async () => Promise.reject(new Error('AccessDenied')) }));
    expect(traceOf(await handler(event as never, lambdaContext())).traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('still gives the handler the trace when an asynchronous middleware runs before it (e.g. @middy/ssm)', async () => {
    const fetchesSecrets = { before: async () => void (await new Promise((resolve) => setImmediate(resolve))) };
    const handler = middy(seeTrace).use(fetchesSecrets).use(traceMiddleware());
    expect(traceOf(await handler(httpEvent({ traceparent: TRACEPARENT }), lambdaContext())).traceId).toBe(TRACE);
  });

  it('keeps concurrent invocations apart (one container serving several in tests or local runners)', async () => {
    const firstInside = gate();
    const release = gate();
    const handler = middy(async (event: APIGatewayProxyEventV2) => {
      if (event.headers['x-request-id'] === 'first') firstInside.open();
      await release.opened;
      return { statusCode: 200, body: JSON.stringify(currentTrace()) };
    }).use(traceMiddleware());
    const first = handler(httpEvent({ traceparent: TRACEPARENT, 'x-request-id': 'first' }), lambdaContext());
    await firstInside.opened;
    const second = handler(httpEvent({ 'x-request-id': 'second' }), lambdaContext());
    release.open();
    const [a, b] = (await Promise.all([first, second])).map(traceOf);
    expect(a).toMatchObject({ traceId: TRACE, requestId: 'first' });
    expect(b!.requestId).toBe('second');
    expect(b!.traceId).not.toBe(TRACE);
  });
});
