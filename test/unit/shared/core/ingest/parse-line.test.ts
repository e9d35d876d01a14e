import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../../../../shared/core/ingest/index.js';
import { parseLogLine } from '../../../../../shared/core/ingest/index.js';

const T = { iso: '2026-11-25T10:00:00.123Z', ms: Date.UTC(2026, 10, 25, 10, 0, 0, 123) };

/** `levels` nested objects: nest(1) = {"leaf":"x"}, nest(2) = {"l2":{"leaf":"x"}}… */
function nest(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 'x' };
  for (let l = 2; l <= levels; l++) value = { [`l${l}`]: value };
  return value;
}

/** Object depth of a value: arrays are transparent, a string is depth 0. */
function depth(value: unknown): number {
  if (Array.isArray(value)) return Math.max(0, ...value.map(depth));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(depth));
  return 0;
}

describe('parseLogLine — plain text', () => {
  it('keeps a line without time or level as the message and nothing else', () => {
    expect(parseLogLine('Loading checkpoint shards: 3 of 8')).toEqual({ message: 'Loading checkpoint shards: 3 of 8' });
  });

  it('reads the Python logging default format (asctime with a comma, then the level)', () => {
    const line = '2026-11-25 10:00:00,123 - trainer - INFO - epoch 1 done, loss=0.31';
    expect(parseLogLine(line)).toEqual({ message: line, timestamp: T, level: 'info' });
  });

  it('reads a bracketed ISO time with an offset and a WARNING level', () => {
    const line = '[2026-11-25T12:00:00.123+02:00] WARNING gradient norm is 1e4';
    expect(parseLogLine(line)).toEqual({ message: line, timestamp: T, level: 'warning' });
  });

  it('reads a level a coloured logger prints inside colour codes, and keeps the codes in the message', () => {
    const line = '\x1b[32mINFO\x1b[0m step 25 loss=\x1b[1m0.7503\x1b[0m';
    expect(parseLogLine(line)).toEqual({ message: line, level: 'info' });
    expect(parseLogLine('2026-11-25 10:00:00,123 \x1b[1;31mERROR\x1b[0m trainer: boom').level).toBe('error');
    expect(parseLogLine('\x1b[38;5;45m== epoch 1 · shard 0 ==\x1b[0m').level).toBeUndefined();
  });

  it('reads a time written with a UTC suffix', () => {
    expect(parseLogLine('2026-11-25 10:00:00.123 UTC ERROR disk full').timestamp).toEqual(T);
  });

  it('treats a time without a zone as UTC', () => {
    expect(parseLogLine('2026-11-25T10:00:00.123 DEBUG x').timestamp).toEqual(T);
  });

  it('keeps nanosecond digits of a leading time', () => {
    expect(parseLogLine('2026-11-25T10:00:00.123456789Z INFO x').timestamp?.iso).toBe('2026-11-25T10:00:00.123456789Z');
  });

  it.each([
    ['ERROR: CUDA out of memory', 'error'],
    ['[INFO] starting', 'info'],
    ['(WARN) slow step', 'warn'],
    ['W1125 CRITICAL: node lost', 'critical'],
    ['2026-11-25 10:00:00 FATAL|boom', 'fatal'],
    ['|TRACE| enter', 'trace'],
  ])('reads the level word near the start of %j', (line, level) => {
    expect(parseLogLine(line).level).toBe(level);
  });

  it.each([
    'INFORMATION about the dataset',
    'info: lowercase is not a level word',
    'Traceback (most recent call last):',
    'ValueError: loss is NaN',
    `${'x'.repeat(60)} ERROR far from the start`,
  ])('finds no level in %j', (line) => {
    expect(parseLogLine(line).level).toBeUndefined();
  });

  it('does not take a time from the middle of a line', () => {
    expect(parseLogLine('saved at 2026-11-25T10:00:00Z').timestamp).toBeUndefined();
  });

  it('keeps a leading time that is not a real date in the message, without a timestamp', () => {
    const parsed = parseLogLine('2026-13-45 10:00:00 INFO x');
    expect(parsed.timestamp).toBeUndefined();
    expect(parsed.badTimestamp).toBeUndefined();
    expect(parsed.message).toBe('2026-13-45 10:00:00 INFO x');
  });

  it('treats text that merely looks like JSON as text', () => {
    for (const line of ['{not json}', '[1,2,3]', '{"a":1} trailing', '"just a string"', 'null', '{']) {
      expect(parseLogLine(line)).toEqual({ message: line });
    }
  });

  it('keeps NUL and escape bytes in the message as printed', () => {
    expect(parseLogLine('a\u0000b\u001b[31mred\u001b[0m').message).toBe('a\u0000b\u001b[31mred\u001b[0m');
  });
});

describe('parseLogLine — pino', () => {
  it('lifts time, numeric level, msg and hostname from the default pino line', () => {
    const line = '{"level":30,"time":1795600800123,"pid":4242,"hostname":"ip-10-0-0-1","epoch":1,"loss":0.31,"msg":"epoch 1 done"}';
    expect(parseLogLine(line)).toEqual({
      message: 'epoch 1 done',
      timestamp: { iso: '2026-11-25T10:00:00.123Z', ms: 1795600800123 },
      level: 'info',
      host: 'ip-10-0-0-1',
      fields: { pid: 4242, epoch: 1, loss: 0.31 },
    });
  });

  it.each([
    [10, 'trace'],
    [20, 'debug'],
    [30, 'info'],
    [40, 'warn'],
    [50, 'error'],
    [60, 'fatal'],
  ])('maps pino level %i to %s', (level, name) => {
    expect(parseLogLine(`{"level":${level},"time":1795600800123,"msg":"m"}`).level).toBe(name);
  });

  it('keeps a custom numeric level under json.level instead of guessing', () => {
    const parsed = parseLogLine('{"level":35,"time":1795600800123,"msg":"m"}');
    expect(parsed.level).toBeUndefined();
    expect(parsed.fields).toEqual({ level: 35 });
  });

  it('uses a child logger name as log.logger', () => {
    const parsed = parseLogLine('{"level":30,"time":1795600800123,"pid":1,"hostname":"h","name":"trainer","msg":"m"}');
    expect(parsed.logger).toBe('trainer');
    expect(parsed.fields).toEqual({ pid: 1 });
  });

  it('lifts the serialised err into error.* and keeps its other properties', () => {
    const line = JSON.stringify({
      level: 50,
      time: 1795600800123,
      pid: 4242,
      hostname: 'ip-10-0-0-1',
      err: {
        type: 'Error',
        message: 'CUDA out of memory',
        stack: 'Error: CUDA out of memory\n    at train (/app/train.js:10:11)\n    at main (/app/train.js:20:3)',
        code: 'E_OOM',
      },
      msg: 'CUDA out of memory',
    });
    const parsed = parseLogLine(line);
    expect(parsed.error).toEqual({
      type: 'Error',
      message: 'CUDA out of memory',
      stack_trace: 'Error: CUDA out of memory\n    at train (/app/train.js:10:11)\n    at main (/app/train.js:20:3)',
    });
    expect(parsed.level).toBe('error');
    expect(parsed.fields).toEqual({ pid: 4242, err: { code: 'E_OOM' } });
  });
});

describe('parseLogLine — ECS loggers', () => {
  it('lifts the dotted top-level fields written by @elastic/ecs-pino-format', () => {
    const line =
      '{"log.level":"info","@timestamp":"2026-11-25T10:00:00.123Z","process.pid":4242,"host.hostname":"ip-10-0-0-1",' +
      '"ecs.version":"8.10.0","service.name":"trainer","log.logger":"data","trace.id":"4bf92f3577b34da6a3ce929d0e0e4736",' +
      '"transaction.id":"a1b2c3d4e5f60718","span.id":"00f067aa0ba902b7","message":"loaded 1200 samples"}';
    expect(parseLogLine(line)).toEqual({
      message: 'loaded 1200 samples',
      timestamp: T,
      level: 'info',
      logger: 'data',
      service: 'trainer',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      host: 'ip-10-0-0-1',
      fields: {
        'process.pid': 4242,
        'ecs.version': '8.10.0',
        'transaction.id': 'a1b2c3d4e5f60718',
      },
    });
  });

  it('lifts the nested error object of ecs-pino-format', () => {
    const line =
      '{"log.level":"error","@timestamp":"2026-11-25T10:00:00.123Z","ecs.version":"8.10.0",' +
      '"error":{"type":"TypeError","message":"x is undefined","stack_trace":"TypeError: x is undefined\\n    at f (a.js:1:1)"},' +
      '"message":"x is undefined"}';
    const parsed = parseLogLine(line);
    expect(parsed.error).toEqual({
      type: 'TypeError',
      message: 'x is undefined',
      stack_trace: 'TypeError: x is undefined\n    at f (a.js:1:1)',
    });
    expect(parsed.fields).toEqual({ 'ecs.version': '8.10.0' });
  });

  it('reads ecs-logging-python: nested log.logger next to a dotted log.level', () => {
    const line =
      '{"@timestamp":"2026-11-25T10:00:00.123Z","log.level":"warning","message":"lr reduced","ecs.version":"1.6.0",' +
      '"log":{"logger":"trainer.scheduler","origin":{"file":{"line":42,"name":"train.py"},"function":"main"},"original":"lr reduced"},' +
      '"process":{"name":"MainProcess","pid":4242,"thread":{"id":140245,"name":"MainThread"}}}';
    const parsed = parseLogLine(line);
    expect(parsed).toMatchObject({ message: 'lr reduced', timestamp: T, level: 'warning', logger: 'trainer.scheduler' });
    expect(parsed.fields).toEqual({
      'ecs.version': '1.6.0',
      log: { origin: { file: { line: 42, name: 'train.py' }, function: 'main' }, original: 'lr reduced' },
      process: { name: 'MainProcess', pid: 4242, thread: { id: 140245, name: 'MainThread' } },
    });
  });

  it('reads trace and span ids written as nested objects', () => {
    const parsed = parseLogLine('{"message":"m","trace":{"id":"4BF92F3577B34DA6A3CE929D0E0E4736"},"span":{"id":"00F067AA0BA902B7"}}');
    expect(parsed.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(parsed.spanId).toBe('00f067aa0ba902b7');
    expect(parsed.fields).toBeUndefined();
  });
});

describe('parseLogLine — Python JSON loggers', () => {
  it('reads python-json-logger with asctime, name, levelname and an exc_info traceback', () => {
    const traceback =
      'Traceback (most recent call last):\n  File "/app/train.py", line 42, in <module>\n    step()\n' +
      '  File "/app/train.py", line 37, in step\n    raise ValueError("loss is NaN")\nValueError: loss is NaN';
    const line = `{"asctime": "2026-11-25 10:00:00,123", "name": "trainer", "levelname": "ERROR", "message": "step failed", "exc_info": ${JSON.stringify(traceback)}, "taskName": null, "step": 1200}`;
    expect(parseLogLine(line)).toEqual({
      message: 'step failed',
      timestamp: T,
      level: 'error',
      logger: 'trainer',
      error: { stack_trace: traceback },
      fields: { taskName: null, step: 1200 },
    });
  });

  it('reads python-json-logger with an ISO timestamp field', () => {
    const parsed = parseLogLine('{"message": "ok", "levelname": "INFO", "timestamp": "2026-11-25T10:00:00.123456+00:00"}');
    expect(parsed.timestamp).toEqual({ iso: '2026-11-25T10:00:00.123456Z', ms: T.ms });
  });

  it('reads structlog JSONRenderer output: event is the message', () => {
    const line = '{"epoch": 3, "loss": 0.31, "event": "epoch done", "logger": "trainer", "level": "info", "timestamp": "2026-11-25T10:00:00.123456Z"}';
    expect(parseLogLine(line)).toEqual({
      message: 'epoch done',
      timestamp: { iso: '2026-11-25T10:00:00.123456Z', ms: T.ms },
      level: 'info',
      logger: 'trainer',
      fields: { epoch: 3, loss: 0.31 },
    });
  });

  it('reads a structlog exception rendered by format_exc_info', () => {
    const parsed = parseLogLine(
      '{"event": "crashed", "level": "error", "exception": "Traceback (most recent call last):\\nZeroDivisionError: division by zero"}',
    );
    expect(parsed.error).toEqual({ stack_trace: 'Traceback (most recent call last):\nZeroDivisionError: division by zero' });
  });

  it('keeps a structlog dict traceback (a list) as user JSON', () => {
    const parsed = parseLogLine('{"event": "crashed", "exception": [{"exc_type": "ValueError", "exc_value": "bad", "frames": []}]}');
    expect(parsed.error).toBeUndefined();
    expect(parsed.fields).toEqual({ exception: [{ exc_type: 'ValueError', exc_value: 'bad', frames: [] }] });
  });

  it('reads a structlog epoch-seconds float timestamp', () => {
    expect(parseLogLine('{"event": "e", "timestamp": 1795600800.123}').timestamp).toEqual({
      iso: '2026-11-25T10:00:00.123Z',
      ms: 1795600800123,
    });
  });
});

describe('parseLogLine — arbitrary JSON', () => {
  it('uses the whole line as message when the object names none', () => {
    const line = '{"step": 10, "loss": 0.5}';
    expect(parseLogLine(line)).toEqual({ message: line, fields: { step: 10, loss: 0.5 } });
  });

  it('accepts an object with surrounding blanks', () => {
    expect(parseLogLine('  {"msg": "padded"}\t ').message).toBe('padded');
  });

  it('keeps an unparsable time verbatim as badTimestamp', () => {
    expect(parseLogLine('{"msg":"m","time":"yesterday"}')).toEqual({ message: 'm', badTimestamp: 'yesterday' });
    expect(parseLogLine('{"msg":"m","timestamp":{"seconds":1}}').badTimestamp).toBe('{"seconds":1}');
    expect(parseLogLine('{"msg":"m","time":1e23}').badTimestamp).toBe('1e+23');
  });

  it('ignores a null time and keeps looking', () => {
    expect(parseLogLine('{"msg":"m","@timestamp":null,"time":1795600800123}').timestamp?.ms).toBe(1795600800123);
  });

  it('leaves an invalid trace id among the user fields', () => {
    const parsed = parseLogLine('{"msg":"m","trace_id":"not-a-trace","span_id":"0000000000000000"}');
    expect(parsed.traceId).toBeUndefined();
    expect(parsed.spanId).toBeUndefined();
    expect(parsed.fields).toEqual({ trace_id: 'not-a-trace', span_id: '0000000000000000' });
  });

  it('keeps a message that is not a string among the user fields', () => {
    const line = '{"message": {"text": "structured"}, "msg": "fallback"}';
    expect(parseLogLine(line)).toEqual({ message: 'fallback', fields: { message: { text: 'structured' } } });
  });

  it('keeps a too-long level string under json.level', () => {
    const level = 'x'.repeat(33);
    expect(parseLogLine(`{"msg":"m","level":"${level}"}`)).toEqual({ message: 'm', fields: { level } });
  });

  it('keeps all of 10 000 keys', () => {
    const obj: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) obj[`metric_${i}`] = i;
    const parsed = parseLogLine(JSON.stringify({ msg: 'metrics', ...obj }));
    expect(parsed.message).toBe('metrics');
    expect(parsed.fields).toEqual(obj);
  });

  it('renames empty and dots-only keys, at any depth, so Elasticsearch accepts them', () => {
    const parsed = parseLogLine('{"msg":"m","":1," ":2,".":3,"..":4,"a.b":5,"nested":{"":6,"ok":7},"list":[{"":8}]}');
    expect(parsed.fields).toEqual({
      '_key""': 1,
      '_key" "': 2,
      '_key"."': 3,
      '_key".."': 4,
      'a.b': 5,
      nested: { '_key""': 6, ok: 7 },
      list: [{ '_key""': 8 }],
    });
  });

  it('keeps a __proto__ key as data instead of losing it', () => {
    const parsed = parseLogLine('{"msg":"m","__proto__":{"polluted":true},"x":1}');
    expect(JSON.parse(JSON.stringify(parsed.fields))).toEqual(JSON.parse('{"__proto__":{"polluted":true},"x":1}'));
    expect(Object.getPrototypeOf(parsed.fields)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('keeps huge numbers as JSON numbers', () => {
    const parsed = parseLogLine('{"msg":"m","big":123456789012345678901234567890,"tiny":1e-300,"neg":-9007199254740993}');
    expect(parsed.fields).toEqual({ big: 1.2345678901234568e29, tiny: 1e-300, neg: -9007199254740992 });
  });

  it(`keeps ${MAX_JSON_DEPTH} levels of objects intact`, () => {
    const fields = { deep: nest(MAX_JSON_DEPTH - 1) };
    expect(depth(fields)).toBe(MAX_JSON_DEPTH);
    expect(parseLogLine(JSON.stringify({ msg: 'm', ...fields })).fields).toEqual(fields);
  });

  it(`stores objects nested deeper than ${MAX_JSON_DEPTH} levels as a JSON string at that depth`, () => {
    const fields = { deep: nest(40) };
    const parsed = parseLogLine(JSON.stringify({ msg: 'm', ...fields })).fields!;
    expect(depth(parsed)).toBe(MAX_JSON_DEPTH);
    let cursor: unknown = parsed['deep'];
    for (let l = 40; l > 40 - (MAX_JSON_DEPTH - 1); l--) cursor = (cursor as Record<string, unknown>)[`l${l}`];
    expect(typeof cursor).toBe('string');
    expect(JSON.parse(cursor as string)).toEqual(nest(40 - (MAX_JSON_DEPTH - 1)));
  });

  it('bounds the depth of objects hidden inside nested arrays too', () => {
    const parsed = parseLogLine(JSON.stringify({ msg: 'm', matrix: [[[nest(40)]]] })).fields!;
    expect(depth(parsed)).toBeLessThanOrEqual(MAX_JSON_DEPTH);
    expect(JSON.stringify(parsed)).toContain('leaf');
  });

  it('survives a 32 KiB line that is nothing but nesting, keeping it as text', () => {
    for (const line of [`{"msg":"m","a":${'['.repeat(16_000)}1${']'.repeat(16_000)}}`, `{"msg":"m",${'"a":{'.repeat(5_400)}"b":1${'}'.repeat(5_400)}}`]) {
      const parsed = parseLogLine(line);
      expect(() => JSON.stringify(parsed)).not.toThrow();
      expect(depth(parsed.fields ?? {})).toBeLessThanOrEqual(MAX_JSON_DEPTH);
    }
  });
});
