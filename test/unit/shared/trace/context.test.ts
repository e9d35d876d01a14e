import { context as otelContext, ROOT_CONTEXT, trace as otelTrace, type ContextManager } from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { continueTrace, currentTrace, startTrace, toOtelContext, withChildSpan, withTrace } from '../../../../shared/trace/index.js';
import { gate, TRACE, TRACEPARENT } from './support.js';

describe('withTrace', () => {
  it('has no current trace outside any scope', () => {
    expect(currentTrace()).toBeUndefined();
  });

  it('keeps each of two interleaved async requests in its own trace across awaits, timers and callbacks', async () => {
    const a = startTrace();
    const b = startTrace();
    const aMayResume = gate();
    const bMayResume = gate();
    const seen: Array<{ step: string; traceId: string | undefined }> = [];
    const note = (step: string) => seen.push({ step, traceId: currentTrace()?.traceId });
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

    const requestA = withTrace(a, async () => {
      note('a started');
      await aMayResume.opened;
      note('a resumed');
      bMayResume.open();
      await tick();
      process.nextTick(() => note('a in nextTick'));
      await tick();
      note('a finished');
    });
    const requestB = withTrace(b, async () => {
      note('b started');
      aMayResume.open();
      await bMayResume.opened;
      note('b resumed');
      await tick();
      setTimeout(() => note('b in timer'), 0);
      await new Promise((resolve) => setTimeout(resolve, 1));
      note('b finished');
    });
    await Promise.all([requestA, requestB]);

    expect(seen.slice(0, 3).map((s) => s.step)).toEqual(['a started', 'b started', 'a resumed']);
    expect(seen).toHaveLength(8);
    for (const { step, traceId } of seen) expect(traceId, step).toBe(step.startsWith('a') ? a.traceId : b.traceId);
    expect(currentTrace()).toBeUndefined();
  });

  it('isolates 50 concurrent requests that all await in between', async () => {
    const release = gate();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        withTrace({ ...startTrace(), requestId: `r${i}` }, async () => {
          await release.opened;
          return currentTrace()?.requestId;
        }),
      ).concat([Promise.resolve(release.open()).then(() => 'released')]),
    );
    expect(results).toEqual([...Array.from({ length: 50 }, (_, i) => `r${i}`), 'released']);
  });

  it('restores the outer trace when an inner scope ends', () => {
    const outer = startTrace();
    withTrace(outer, () => {
      withTrace(startTrace(), () => undefined);
      expect(currentTrace()).toBe(outer);
    });
  });
});

describe('withChildSpan', () => {
  it('runs in a child span of the current trace', () => {
    const parent = continueTrace({ traceparent: TRACEPARENT });
    withTrace(parent, () =>
      withChildSpan(() => {
        expect(currentTrace()).toMatchObject({ traceId: TRACE, parentSpanId: parent.spanId });
        expect(currentTrace()!.spanId).not.toBe(parent.spanId);
      }),
    );
  });

  it('starts a new trace when there is none', () => {
    withChildSpan(() => expect(currentTrace()).toMatchObject({ traceId: expect.stringMatching(/^[0-9a-f]{32}$/), traceFlags: 1 }));
  });
});

describe('OpenTelemetry interop', () => {
  // What an OTel SDK registers: a context manager on AsyncLocalStorage.
  const manager = (): ContextManager => {
    const storage = new AsyncLocalStorage<ReturnType<ContextManager['active']>>();
    return {
      active: () => storage.getStore() ?? ROOT_CONTEXT,
      with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
      bind: (_ctx, target) => target,
      enable() {
        return this;
      },
      disable() {
        return this;
      },
    };
  };
  afterEach(() => otelContext.disable());

  it('reads the active OpenTelemetry span when none of ours is current', () => {
    otelContext.setGlobalContextManager(manager());
    const span = { traceId: TRACE, spanId: '1111111111111111', traceFlags: 1 };
    otelContext.with(otelTrace.setSpanContext(ROOT_CONTEXT, span), () => {
      expect(currentTrace()).toEqual(span);
    });
  });

  it("prefers our context to OpenTelemetry's, and hands ours to OTel instrumentation", () => {
    otelContext.setGlobalContextManager(manager());
    const ours = startTrace();
    withTrace(ours, () => {
      otelContext.with(toOtelContext(ours), () => {
        expect(otelTrace.getSpanContext(otelContext.active())).toMatchObject({ traceId: ours.traceId, spanId: ours.spanId, traceFlags: 1 });
        expect(currentTrace()).toBe(ours);
      });
    });
  });
});
