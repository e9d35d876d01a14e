/**
 * The one synthetic log generator: a realistic ML training log, deterministic, for the benchmarks
 * (fixtures cached by testkit/bench/fixtures.ts) and anything else that needs a job's output.
 *
 * The same (seed, size) always gives the same bytes, so two runs (or two machines) measure the
 * same input. The mix is what a training job's stdout+stderr looks like: tqdm progress bars
 * redrawn with `\r`, Python `logging` lines, JSON metrics lines, pino / ECS JSON lines with trace
 * ids, Python warnings, multi-line tracebacks and, rarely, a config dump longer than the indexer's
 * 32 KiB line limit.
 *
 * @example
 * for (const piece of syntheticLog({ seed: 42, totalBytes: 8 * MB })) process.stdout.write(piece);
 * await writeGzipLog('train.log.gz', { seed: 42, totalBytes: 100 * MB });
 * const bodies = gzipChunks({ seed: 7, totalBytes: 24 * MB, count: 4 });   // as a shipper uploads them
 *
 * Command line: `tsx bench/synthetic-log.ts --mb 100 [--chunks 4] [--out …]`.
 */
import { createWriteStream, mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { seededRandom } from './random.js';

/** Bump when the generated content changes, so cached fixtures are rebuilt. */
export const GENERATOR_VERSION = 4;

export const MB = 1024 * 1024;

const LOGGERS = ['trainer', 'data.loader', 'torch.distributed', 'checkpoint', 'optim', 'eval', 'wandb'];
const WARNINGS = [
  [
    '/opt/conda/lib/python3.11/site-packages/torch/utils/data/dataloader.py',
    558,
    'UserWarning',
    'This DataLoader will create 8 worker processes in total. Our suggested max number of worker in current system is 4, which is smaller than what this DataLoader is going to create.',
  ],
  [
    '/opt/conda/lib/python3.11/site-packages/torch/nn/modules/module.py',
    1511,
    'FutureWarning',
    "`torch.cuda.amp.autocast(args...)` is deprecated. Please use `torch.amp.autocast('cuda', args...)` instead.",
  ],
  [
    '/opt/conda/lib/python3.11/site-packages/transformers/tokenization_utils_base.py',
    1601,
    'FutureWarning',
    '`clean_up_tokenization_spaces` was not set. It will be set to `True` by default.',
  ],
] as const;
const ERRORS = [
  ['RuntimeError', 'CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.15 GiB total capacity; 74.02 GiB already allocated; 1.21 GiB free)'],
  ['ValueError', 'Expected input batch_size (32) to match target batch_size (31).'],
  ['ConnectionResetError', '[Errno 104] Connection reset by peer'],
] as const;
const ROUTES = ['/v1/predict', '/v1/embed', '/healthz', '/metrics', '/v1/jobs/{id}'];

/**
 * Yields the log as UTF-8 text pieces (each roughly `pieceBytes`) until at least `totalBytes`
 * bytes were produced. Lines never straddle two pieces except through tqdm `\r` redraws, which
 * is irrelevant to anyone concatenating them.
 */
export function* syntheticLog(options: { seed: number; totalBytes: number; pieceBytes?: number }): Generator<string> {
  const rnd = seededRandom(options.seed);
  const pieceBytes = options.pieceBytes ?? 256 * 1024;
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const hex = (n: number): string => {
    let s = '';
    while (s.length < n) s += (int(0x100000000) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, n);
  };
  let clock = Date.UTC(2026, 10, 25, 10, 0, 0, 0);
  let step = 0;
  let epoch = 0;
  let loss = 2.5;
  let traceId = hex(32);
  const pad2 = (n: number): string => String(n).padStart(2, '0');
  const pythonTime = (): string => {
    const d = new Date(clock);
    return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())},${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
  };
  const level = (): string => {
    const r = rnd();
    return r < 0.8 ? 'INFO' : r < 0.9 ? 'DEBUG' : r < 0.97 ? 'WARNING' : 'ERROR';
  };

  const tqdm = (): string => {
    const total = 100 + int(400);
    const updates = 5 + int(25);
    let out = '';
    for (let u = 0; u <= updates; u++) {
      const done = Math.round((u / updates) * total);
      const pct = Math.floor((done / total) * 100);
      const filled = Math.floor(pct / 10);
      const bar = '█'.repeat(filled) + (filled < 10 ? '▌' : '') + ' '.repeat(Math.max(0, 9 - filled));
      const rate = (3 + rnd() * 6).toFixed(2);
      out += `\rEpoch ${epoch}: ${String(pct).padStart(3)}%|${bar}| ${done}/${total} [00:${pad2(int(60))}<01:${pad2(int(60))}, ${rate}it/s, loss=${loss.toFixed(3)}]`;
    }
    return `${out}\n`;
  };
  const plain = (): string => {
    const lvl = level();
    const logger = pick(LOGGERS);
    const r = rnd();
    const text =
      r < 0.6
        ? `epoch ${epoch} step ${step} loss=${loss.toFixed(3)} lr=${(3e-4 * (1 - step / 1e6)).toExponential(2)} tokens/s=${(40000 + int(20000)).toLocaleString('en-US')}`
        : r < 0.8
          ? `saved checkpoint to s3://ml-checkpoints/run-${options.seed}/step-${step}/model.safetensors (${(1 + rnd() * 9).toFixed(2)} GB)`
          : `rank ${int(8)}: allreduce of ${int(512)} buckets took ${(rnd() * 80).toFixed(1)} ms`;
    return `${pythonTime()} ${lvl} ${logger}: ${text}\n`;
  };
  const metrics = (): string =>
    `${JSON.stringify({
      step,
      epoch,
      loss: Number(loss.toFixed(4)),
      lr: 3e-4,
      grad_norm: Number((0.5 + rnd() * 2).toFixed(3)),
      tokens_per_s: 40000 + int(20000),
      gpu_mem_gb: Number((60 + rnd() * 15).toFixed(2)),
      throughput: { samples_per_s: Number((100 + rnd() * 50).toFixed(1)), tflops: Number((150 + rnd() * 30).toFixed(1)) },
      eval: rnd() < 0.1 ? { accuracy: Number(rnd().toFixed(4)), perplexity: Number((5 + rnd() * 20).toFixed(3)) } : undefined,
    })}\n`;
  const ecs = (): string => {
    if (rnd() < 0.05) traceId = hex(32);
    return `${JSON.stringify({
      '@timestamp': new Date(clock).toISOString(),
      'log.level': level().toLowerCase(),
      message: `${pick(['GET', 'POST'])} ${pick(ROUTES)} ${pick([200, 200, 200, 201, 404, 500])} ${int(250)}ms`,
      'ecs.version': '8.10.0',
      'service.name': 'inference-api',
      'trace.id': traceId,
      'span.id': hex(16),
      'process.pid': 4242,
      'host.hostname': 'ip-10-0-3-17',
      http: { request: { method: 'POST', bytes: int(20000) }, response: { status_code: 200 } },
      'user_agent.original': 'python-requests/2.32.3',
    })}\n`;
  };
  const pino = (): string => {
    if (rnd() < 0.05) traceId = hex(32);
    return `${JSON.stringify({
      level: pick([30, 30, 30, 20, 40, 50]),
      time: clock,
      pid: 71,
      hostname: 'ip-10-0-3-17',
      trace_id: traceId,
      span_id: hex(16),
      req: { id: int(1e6), method: 'POST', url: pick(ROUTES) },
      responseTime: Number((rnd() * 300).toFixed(3)),
      msg: 'request completed',
    })}\n`;
  };
  const warning = (): string => {
    const [file, line, category, text] = pick(WARNINGS);
    return `${file}:${line}: ${category}: ${text}\n  warnings.warn(\n`;
  };
  const traceback = (): string => {
    const [type, text] = pick(ERRORS);
    const frames = 4 + int(8);
    let out = `${pythonTime()} ERROR trainer: step ${step} failed, retrying\nTraceback (most recent call last):\n`;
    for (let f = 0; f < frames; f++) {
      out += `  File "/opt/conda/lib/python3.11/site-packages/torch/nn/modules/module.py", line ${1000 + int(600)}, in _call_impl\n    return forward_call(*args, **kwargs)\n`;
    }
    return `${out}${type}: ${text}\n`;
  };
  const longLine = (): string => {
    // A config / tensor dump: 8–80 KiB on one line, beyond the 32 KiB limit in a third of cases.
    const n = 8 * 1024 + int(72 * 1024);
    let body = '';
    while (body.length < n) body += `"layer_${body.length}":{"shape":[${int(4096)},${int(4096)}],"dtype":"bf16","requires_grad":true},`;
    return `${pythonTime()} DEBUG trainer: model config {${body.slice(0, n)}}\n`;
  };

  let produced = 0;
  let piece = '';
  while (produced < options.totalBytes) {
    clock += int(250);
    if (rnd() < 0.02) step += 1;
    step += 1;
    if (step % 5000 === 0) epoch += 1;
    loss = Math.max(0.05, loss * (0.99995 + rnd() * 0.00004));
    const r = rnd();
    // Per event; a tqdm bar is ~18 redraws and a traceback ~20 lines, so of the *lines* about
    // 30% are tqdm redraws, 30% JSON (metrics, ECS, pino), 20% plain `logging`, 20% warnings
    // and traceback lines.
    const line =
      r < 0.35
        ? plain()
        : r < 0.55
          ? metrics()
          : r < 0.72
            ? ecs()
            : r < 0.89
              ? pino()
              : r < 0.918
                ? tqdm()
                : r < 0.988
                  ? warning()
                  : r < 0.9995
                    ? traceback()
                    : longLine();
    piece += line;
    if (piece.length >= pieceBytes) {
      produced += Buffer.byteLength(piece);
      yield piece;
      piece = '';
    }
  }
  if (piece) yield piece;
}

/** Gzips a generated log of `totalBytes` into `file` (streaming: the log is never held whole). */
export async function writeGzipLog(file: string, options: { seed: number; totalBytes: number }): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  await pipeline(Readable.from(syntheticLog(options)), createGzip({ level: 6 }), createWriteStream(partial));
  renameSync(partial, file);
}

/**
 * Splits a generated log of `totalBytes` into `count` gzip chunks (at line boundaries), as a
 * shipper would upload them. Returns the gzip bodies, in order.
 */
export function gzipChunks(options: { seed: number; totalBytes: number; count: number }): Buffer[] {
  const perChunk = Math.ceil(options.totalBytes / options.count);
  const chunks: Buffer[] = [];
  let current: string[] = [];
  let size = 0;
  for (const piece of syntheticLog({ ...options, pieceBytes: 64 * 1024 })) {
    current.push(piece);
    size += Buffer.byteLength(piece);
    if (size >= perChunk && chunks.length < options.count - 1) {
      chunks.push(gzipSync(current.join(''), { level: 6 }));
      current = [];
      size = 0;
    }
  }
  if (current.length > 0) chunks.push(gzipSync(current.join(''), { level: 6 }));
  return chunks;
}
