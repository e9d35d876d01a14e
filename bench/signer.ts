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
 * The local stack is brought up if it is not running, and taken down at the end only if this
 * run started both services (`withLocalStack`). Fixtures go to a bucket of its own, `joblogs-bench-signer`, emptied
 * at the end but kept (moto's health check fails after deleting a bucket that held objects).
 */
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { DeleteObjectsCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { build, type BuildOptions } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createSignerHandler } from '../functions/signer/create-handler.js';
import { createLogger } from '../shared/adapters/logger.js';
import { s3JobStore } from '../shared/adapters/s3/job-store.js';
import { loadSignerConfig } from '../shared/config/signer-config.js';
import { downloadKey, toS3Metadata } from '../shared/core/download/index.js';
import { jobMarkerKey, registrationKey } from '../shared/core/contract/index.js';
import { registerTestJob } from '../testkit/jobs.js';
import { discardSink, ensureBucket, lambdaContext, percentiles, REPO_ROOT } from '../testkit/index.js';
import { BENCH_DIR, machineNote, printTable, requireNode24, runRounds } from '../testkit/bench/index.js';
import { startIssuer } from '../testkit/http/index.js';
import { awsLocalEnv, localS3Client, localSqsClient, readServerlessYml, withLocalStack, type StackInfo } from '../testkit/stack/index.js';

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
  const { p50, p99 } = percentiles(ms);
  return { p50, p99, mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

/** A complete job in S3, a local identity provider and an assembly queue; the calls each variant makes, warmed up. */
async function latencyFixture(stack: StackInfo): Promise<{ calls: Record<Variant, () => Promise<unknown>>; close(): Promise<void> }> {
  Object.assign(process.env, awsLocalEnv(stack));
  const s3 = localS3Client(stack);
  const sqs = localSqsClient(stack);
  const idp = await startIssuer({ audience: 'joblogs-ui' });
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'joblogs-bench-signer-assemble' }))).QueueUrl!;
  const keys = [jobMarkerKey(JOB_ID, 'main', 'final'), downloadKey(JOB_ID), registrationKey(JOB_ID)];
  const close = async (): Promise<void> => {
    await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.map((Key) => ({ Key })) } })).catch(() => undefined);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    await idp.close();
    s3.destroy();
    sqs.destroy();
  };
  await ensureBucket(s3, BUCKET);
  await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: registrationKey(JOB_ID) }] } })).catch(() => undefined);
  await registerTestJob(s3, BUCKET, JOB_ID);
  const marker = {
    version: 1,
    jobId: JOB_ID,
    source: 'main',
    status: 'final',
    startedAt: '2026-11-25T10:00:00.000Z',
    endedAt: '2026-11-25T11:00:00.000Z',
    lastSeq: 0,
    lineCount: 1,
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  };
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: keys[0], Body: JSON.stringify(marker) }));
  const metadata = toS3Metadata({ owner: 'alice', team: 'vision', lineCount: 1, gaps: 0, missingChunks: 0, status: 'complete', sources: 1, chunks: 1 });
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: keys[1], Body: gzipSync('line\n'), Metadata: metadata }));
  const config = loadSignerConfig({
    STAGE: 'bench',
    LOG_BUCKET: BUCKET,
    ASSEMBLE_QUEUE_URL: queueUrl,
    JWT_ISSUER: idp.issuer,
    JWT_AUDIENCE: 'joblogs-ui',
    UI_ORIGIN: 'https://ml.example.test',
    KIBANA_URL: 'https://kibana.example.test',
    S3_FORCE_PATH_STYLE: 'true',
  });
  const logger = createLogger('joblogs-signer-bench', discardSink());
  const handler = createSignerHandler(config, { logger });
  // The same chain with the S3 reads answered from memory (what the real store returned once):
  // the signer's own CPU (token check, decisions, presigning, links, middlewares, logging).
  const store = s3JobStore(s3, { bucket: BUCKET });
  const [read, head] = await Promise.all([store.readJob(JOB_ID), store.headDownload(JOB_ID)]);
  const handlerNoIo = createSignerHandler(config, {
    logger,
    jobs: { readJob: async () => read, readRegistration: async () => read.registration, headDownload: async () => head },
  });
  const token = await idp.token({ sub: 'alice', teams: ['vision'] }, { expiresInS: 3600 });
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: 'GET /jobs/{jobId}/logs',
    rawPath: `/jobs/${JOB_ID}/logs`,
    rawQueryString: '',
    headers: { authorization: `Bearer ${token}`, origin: 'https://ml.example.test' },
    pathParameters: { jobId: JOB_ID },
    requestContext: { http: { method: 'GET' } } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
  };
  const context = lambdaContext();
  const signed = (h: typeof handler) => async () => {
    const r = (await h({ ...event }, context)) as APIGatewayProxyStructuredResultV2;
    if (r.statusCode !== 200) throw new Error(`signer answered ${r.statusCode}: ${r.body}`);
  };
  const calls: Record<Variant, () => Promise<unknown>> = {
    bare: async () => ({ statusCode: 200, body: '{}' }),
    head: () => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keys[1] })),
    signer: signed(handler),
    signerNoIo: signed(handlerNoIo),
  };
  // Warm: key set fetched, connections open, code optimised.
  for (const call of Object.values(calls)) for (let i = 0; i < 50; i++) await call();
  return { calls, close };
}

/** Bundles the signer and, for reference, the indexer with serverless.yml's esbuild settings; prints their sizes. */
async function bundleSizes(): Promise<Record<string, { bytes: number; gzipBytes: number; mapBytes: number }>> {
  const esbuildOptions = (readServerlessYml() as unknown as { custom: { esbuild: EsbuildCustom } }).custom.esbuild;
  mkdirSync(BENCH_DIR, { recursive: true });
  const outDir = mkdtempSync(path.join(BENCH_DIR, 'signer-bundle-'));
  let sizes: { signer: Awaited<ReturnType<typeof bundleSize>>; indexer: Awaited<ReturnType<typeof bundleSize>> };
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
  return sizes;
}

async function main(): Promise<void> {
  requireNode24();
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, calls: { type: 'string', default: '1000' } } });
  const rounds = Number(values.rounds);
  const calls = Number(values.calls);
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(calls) || calls < 100) throw new Error('--rounds ≥ 1, --calls ≥ 100');
  console.log(`signer bench: ${machineNote()}\n`);
  const sizes = await bundleSizes();
  await withLocalStack(async (stack) => {
    console.log(
      `## warm latency: ${calls} calls × ${rounds} rounds, in process, moto at ${stack.moto.url}; signerNoIo = the signer with S3 answered from memory (its own CPU)\n`,
    );
    const fixture = await latencyFixture(stack);
    try {
      await runRounds({
        name: 'signer',
        variants: VARIANTS,
        baseline: 'head',
        rounds,
        measure: (variant) => timeCalls(calls, fixture.calls[variant]),
        columns: [
          { label: 'p50 ms', value: (r) => r.p50, digits: 2 },
          { label: 'p99 ms', value: (r) => r.p99, digits: 2 },
          { label: 'mean ms', value: (r) => r.mean, digits: 2 },
          { label: 'p99 vs HeadObject', value: (r, head) => r.p99 / head.p99, digits: 2, unit: '×' },
        ],
        aim: [{ variant: 'signer', column: 'p99 ms', atMost: P99_AIM_MS }],
        context: { sizes, rounds, calls },
      });
    } finally {
      await fixture.close();
    }
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('[bench] signer failed:', error);
    process.exit(1);
  },
);
