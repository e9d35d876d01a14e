/**
 * The signer's two costs, each against a baseline measured in the same run:
 *
 * - **bundle size**: functions/signer/handler.ts bundled with esbuild exactly as serverless.yml's
 *   `custom.esbuild` says (read from the file: minify, ESM, node24, `@aws-sdk/*` external, banner),
 *   against the indexer bundled the same way. Aim: ≤ 500 KB.
 * - **warm latency**: `--calls` (1000) calls of the real middy handler, in process, against the
 *   local stack's moto (S3 + SQS), for a complete job (verify the token with a cached key set,
 *   list + read the job's marker, HEAD the download, presign), against one plain `HeadObject`
 *   of the same file through the same client (the least any answer needs), the same handler
 *   with S3 answered from memory (the signer's own CPU) and a bare async handler (the
 *   harness). Rounds interleave the variants; p99 aim ≤ 20 ms.
 *
 *   tsx bench/signer.ts [--rounds 3] [--calls 1000]
 *
 * The local stack is brought up with `scripts/stack.ts up` if it is not running, and taken down
 * at the end only if this run started both services (`withLocalStack`). Fixtures go to a bucket of its own, `joblogs-bench-signer`, emptied
 * at the end but kept (moto's health check fails after deleting a bucket that held objects).
 */
import { CreateBucketCommand, DeleteObjectsCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { build, type BuildOptions } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createSignerHandler } from '../functions/signer/create-handler.js';
import { createLogger } from '../shared/adapters/logger.js';
import { s3JobStore } from '../shared/adapters/s3/job-store.js';
import { loadSignerConfig } from '../shared/config/signer-config.js';
import { downloadKey, toS3Metadata } from '../shared/core/download/index.js';
import { jobMarkerKey } from '../shared/core/contract/index.js';
import { awsLocalEnv, type StackInfo } from '../scripts/local/stack-file.js';
import { REPO_ROOT } from '../scripts/local/paths.js';
import { lambdaContext } from '../test/fixtures/events.js';
import { startIssuer } from '../test/support/jwks.js';
import { readServerlessYml } from '../test/support/serverless-yml.js';
import { BENCH_DIR } from './synthetic-log.js';
import { formatSpread, machineNote, printTable, requireNode24, saveResults, spread } from './measure.js';
import { withLocalStack } from './shipper-common.js';

const BUCKET = 'joblogs-bench-signer';
const JOB_ID = 'bench-signer-job';
const BUNDLE_AIM_KB = 500;
const P99_AIM_MS = 20;

interface EsbuildCustom {
  minify?: boolean;
  sourcemap?: boolean;
  target?: string;
  platform?: 'node';
  format?: 'esm' | 'cjs';
  outputFileExtension?: string;
  exclude?: string[];
  banner?: { js?: string };
}

/** Bundles one handler with serverless.yml's `custom.esbuild`; sizes of the code and its map. */
async function bundleSize(entry: string, o: EsbuildCustom, outDir: string): Promise<{ bytes: number; gzipBytes: number; mapBytes: number }> {
  const outfile = path.join(outDir, `${path.basename(path.dirname(entry))}${o.outputFileExtension ?? '.js'}`);
  const options: BuildOptions = {
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: o.minify ?? false,
    sourcemap: o.sourcemap ?? false,
    target: o.target,
    platform: o.platform ?? 'node',
    format: o.format ?? 'esm',
    external: o.exclude ?? [],
    banner: o.banner,
    logLevel: 'error',
  };
  await build(options);
  const code = readFileSync(outfile);
  const mapBytes = o.sourcemap ? statSync(`${outfile}.map`).size : 0;
  return { bytes: code.length, gzipBytes: gzipSync(code).length, mapBytes };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const VARIANTS = ['bare', 'head', 'signer', 'signerNoIo'] as const;
type Variant = (typeof VARIANTS)[number];
interface Stat {
  p50: number;
  p99: number;
  mean: number;
}

async function timeCalls(calls: number, call: () => Promise<unknown>): Promise<Stat> {
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = process.hrtime.bigint();
    await call();
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

async function latency(stack: StackInfo, rounds: number, calls: number): Promise<Record<Variant, Stat[]>> {
  Object.assign(process.env, awsLocalEnv(stack));
  const aws = { region: stack.region, endpoint: stack.moto.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const s3 = new S3Client({ ...aws, forcePathStyle: true });
  const sqs = new SQSClient(aws);
  const idp = await startIssuer({ audience: 'joblogs-ui' });
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'joblogs-bench-signer-assemble' }))).QueueUrl!;
  const keys = [jobMarkerKey(JOB_ID, 'main'), downloadKey(JOB_ID)];
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
    const marker = { version: 1, jobId: JOB_ID, source: 'main', status: 'final', owner: 'alice', team: 'vision', startedAt: '2026-11-25T10:00:00.000Z', endedAt: '2026-11-25T11:00:00.000Z', lastSeq: 0, lineCount: 1, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: keys[0], Body: JSON.stringify(marker) }));
    const metadata = toS3Metadata({ owner: 'alice', team: 'vision', lineCount: 1, gaps: 0, missingChunks: 0, status: 'complete', sources: 1, chunks: 1 });
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: keys[1], Body: gzipSync('line\n'), Metadata: metadata }));

    const config = loadSignerConfig({
      STAGE: 'bench', LOG_BUCKET: BUCKET, ASSEMBLE_QUEUE_URL: queueUrl, JWT_ISSUER: idp.issuer, JWT_AUDIENCE: 'joblogs-ui',
      UI_ORIGIN: 'https://ml.example.test', KIBANA_URL: 'https://kibana.example.test', S3_FORCE_PATH_STYLE: 'true',
    });
    const devNull = new Writable({ write: (_c, _e, done) => done() });
    const logger = createLogger('joblogs-signer-bench', devNull);
    const handler = createSignerHandler(config, { logger });
    // The same chain with the S3 reads answered from memory (what the real store returned once):
    // the signer's own CPU (token check, decisions, presigning, links, middlewares, logging).
    const store = s3JobStore(s3, { bucket: BUCKET });
    const [read, head] = await Promise.all([store.readJob(JOB_ID), store.headDownload(JOB_ID)]);
    const handlerNoIo = createSignerHandler(config, { logger, jobs: { readJob: async () => read, headDownload: async () => head } });
    const token = await idp.token({ sub: 'alice', teams: ['vision'] }, { expiresInS: 3600 });
    const event: APIGatewayProxyEventV2 = {
      version: '2.0', routeKey: 'GET /jobs/{jobId}/logs', rawPath: `/jobs/${JOB_ID}/logs`, rawQueryString: '',
      headers: { authorization: `Bearer ${token}`, origin: 'https://ml.example.test' },
      pathParameters: { jobId: JOB_ID }, requestContext: { http: { method: 'GET' } } as APIGatewayProxyEventV2['requestContext'], isBase64Encoded: false,
    };
    const context = lambdaContext();
    const variants: Record<Variant, () => Promise<unknown>> = {
      bare: async () => ({ statusCode: 200, body: '{}' }),
      head: () => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keys[1] })),
      signer: async () => {
        const r = (await handler({ ...event }, context)) as APIGatewayProxyStructuredResultV2;
        if (r.statusCode !== 200) throw new Error(`signer answered ${r.statusCode}: ${r.body}`);
      },
      signerNoIo: async () => {
        const r = (await handlerNoIo({ ...event }, context)) as APIGatewayProxyStructuredResultV2;
        if (r.statusCode !== 200) throw new Error(`signer answered ${r.statusCode}: ${r.body}`);
      },
    };
    // Warm: key set fetched, connections open, code optimised.
    for (const call of Object.values(variants)) for (let i = 0; i < 50; i++) await call();

    const results: Record<Variant, Stat[]> = { bare: [], head: [], signer: [], signerNoIo: [] };
    for (let round = 1; round <= rounds; round++) {
      for (const name of VARIANTS) results[name].push(await timeCalls(calls, variants[name]));
      const r = (name: Variant) => results[name].at(-1)!;
      console.log(
        `round ${round}: p99 signer ${r('signer').p99.toFixed(2)} ms, head ${r('head').p99.toFixed(2)} ms, ` +
          `signer without S3 ${r('signerNoIo').p99.toFixed(2)} ms, bare ${r('bare').p99.toFixed(3)} ms`,
      );
    }
    return results;
  } finally {
    await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.map((Key) => ({ Key })) } })).catch(() => undefined);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    await idp.close();
    s3.destroy();
    sqs.destroy();
  }
}

async function main(): Promise<void> {
  requireNode24();
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, calls: { type: 'string', default: '1000' } } });
  const rounds = Number(values.rounds);
  const calls = Number(values.calls);
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(calls) || calls < 100) throw new Error('--rounds ≥ 1, --calls ≥ 100');
  console.log(`signer bench: ${machineNote()}\n`);

  const esbuildOptions = (readServerlessYml() as unknown as { custom: { esbuild: EsbuildCustom } }).custom.esbuild;
  mkdirSync(BENCH_DIR, { recursive: true });
  const outDir = mkdtempSync(path.join(BENCH_DIR, 'signer-bundle-'));
  let sizes;
  try {
    sizes = {
      signer: await bundleSize(path.join(REPO_ROOT, 'functions', 'signer', 'handler.ts'), esbuildOptions, outDir),
      indexer: await bundleSize(path.join(REPO_ROOT, 'functions', 'indexer', 'handler.ts'), esbuildOptions, outDir),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  const kb = (b: number) => (b / 1024).toFixed(1);
  console.log('## bundle (serverless.yml custom.esbuild; @aws-sdk/* external)\n');
  printTable(
    ['bundle', 'KiB', 'gzip KiB', 'map KiB', 'vs indexer'],
    Object.entries(sizes).map(([name, s]) => [name, kb(s.bytes), kb(s.gzipBytes), kb(s.mapBytes), `${(s.bytes / sizes.indexer.bytes).toFixed(2)}×`]),
  );
  console.log(`signer: ${kb(sizes.signer.bytes)} KiB (aim ≤ ${BUNDLE_AIM_KB} KB: ${sizes.signer.bytes <= BUNDLE_AIM_KB * 1000 ? 'met' : 'MISSED'})\n`);

  await withLocalStack(async (stack) => {
    console.log(`## warm latency: ${calls} calls × ${rounds} rounds, in process, moto at ${stack.moto.url}\n`);
    const results = await latency(stack, rounds, calls);
    const ratio = results.signer.map((s, i) => s.p99 / results.head[i]!.p99);
    console.log(`\n## summary: median (min–max) over ${rounds} rounds\n`);
    printTable(
      ['variant', 'p50 ms', 'p99 ms', 'mean ms'],
      Object.entries(results).map(([name, r]) => [name, formatSpread(spread(r.map((x) => x.p50)), 2), formatSpread(spread(r.map((x) => x.p99)), 2), formatSpread(spread(r.map((x) => x.mean)), 2)]),
    );
    const p99 = spread(results.signer.map((r) => r.p99));
    console.log(`\nsigner p99 / HeadObject p99: ${formatSpread(spread(ratio), 2, '×')}`);
    console.log(`signer p99: ${p99.median.toFixed(2)} ms (aim ≤ ${P99_AIM_MS} ms: ${p99.median <= P99_AIM_MS ? 'met' : 'MISSED'})`);
    console.log(`signer p99 with S3 answered from memory (its own CPU): ${formatSpread(spread(results.signerNoIo.map((r) => r.p99)), 2, ' ms')}`);
    const saved = saveResults('signer', { machine: machineNote(), sizes, rounds, calls, results });
    console.log(`raw results: ${path.relative(process.cwd(), saved)}`);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('[bench] signer failed:', error);
    process.exit(1);
  },
);
