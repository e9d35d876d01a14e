/**
 * Download assembly on the local stack (moto's S3), against a baseline measured in the same run
 * on the same chunks:
 *
 * - `copy`      a plain streaming copy of the job's chunk bytes through the same S3: list, GET each
 *               chunk (same read-ahead as the assembler), append to one multipart upload. No
 *               decompression, no parsing, no formatting, no compression.
 * - `assemble`  the real `assembleJob()`: list markers and chunks, gunzip, read frames, merge,
 *               format, gzip in parallel members, multipart upload, metadata.
 *
 * Rounds alternate copy, assemble, copy, assemble…, each in a fresh child process (peak RSS is
 * the child's). The fixture (a job of `--chunks` framed-v1 chunks, `--mb` MiB of printed text in
 * all) is uploaded once per moto lifetime into a bucket of its own, outside the notifications.
 *
 *   tsx bench/assembler.ts [--rounds 3] [--mb 1024] [--chunks 10000]
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { chunkKey, encodeFrame, jobMarkerKey, type JobMarker } from '../shared/core/contract/index.js';
import { registerJob } from '../shared/launcher/index.js';
import { ensureBucket, GENERATOR_VERSION, MB, syntheticLog } from '../testkit/index.js';
import { bundleForChild, fixtureTag, machineNote, requireNode24, runChild, runRounds, type RunResult } from '../testkit/bench/index.js';
import { localS3Client, withLocalStack, type StackInfo } from '../testkit/stack/index.js';
import { sdkObjectClient } from '../shared/adapters/s3/sdk-object-client.js';

const CHILD = fileURLToPath(new URL('./assembler-child.ts', import.meta.url));
const BUCKET = 'joblogs-bench-assemble';
const AIM_RATIO = 0.8;
const AIM_RSS_MB = 256;
const gzipAsync = promisify(gzip);

const jobIdFor = (mb: number, chunks: number) => `bench-asm-${fixtureTag([GENERATOR_VERSION, mb, chunks])}`;

// ---------------------------------------------------------------------------------------------
// Fixture: framed-v1 chunks as the shipper writes them, and the job's final marker.

async function ensureFixture(s3: S3Client, jobId: string, mb: number, chunks: number): Promise<void> {
  await ensureBucket(s3, BUCKET);
  const marker = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: jobMarkerKey(jobId, 'main', 'final') })).catch(() => undefined);
  if (marker) return;
  console.error(`[bench] uploading the fixture job ${jobId}: ${chunks} chunks, ${mb} MiB printed`);
  const started = Date.now();
  const perChunk = (mb * MB) / chunks;
  let line = 0;
  let time = Date.UTC(2026, 10, 25, 10, 0, 0);
  let pending = '';
  let body: string[] = [];
  let bodyBytes = 0;
  let seq = 0;
  const uploads = new Set<Promise<void>>();
  const flush = async (): Promise<void> => {
    const text = body.join('');
    body = [];
    bodyBytes = 0;
    const key = chunkKey({ jobId, source: 'main', seq: seq++ });
    const upload = gzipAsync(Buffer.from(text), { level: 6 })
      .then((gz) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: gz, Metadata: { format: 'framed-v1' } })))
      .then(() => undefined);
    uploads.add(upload);
    upload.finally(() => uploads.delete(upload)).catch(() => undefined);
    if (uploads.size >= 8) await Promise.race(uploads);
  };
  for (const piece of syntheticLog({ seed: 11, totalBytes: mb * MB })) {
    const parts = (pending + piece).split('\n');
    pending = parts.pop()!;
    for (const text of parts) {
      time += 1;
      const frame = `${encodeFrame({ time, stream: line % 50 === 0 ? 'stderr' : 'stdout', line: line++, bytes: Buffer.from(text), terminator: '\n' })}\n`;
      body.push(frame);
      bodyBytes += Buffer.byteLength(text) + 1;
      if (bodyBytes >= perChunk && seq < chunks - 1) await flush();
    }
  }
  await flush();
  await Promise.all(uploads);
  const m: JobMarker = {
    version: 1,
    jobId,
    source: 'main',
    status: 'final',
    startedAt: new Date(Date.UTC(2026, 10, 25, 10)).toISOString(),
    endedAt: new Date(time).toISOString(),
    lastSeq: seq - 1,
    lineCount: line,
    exitCode: 0,
  };
  await registerJob({ s3: sdkObjectClient(s3), bucket: BUCKET, jobId, owner: 'bench', team: 'bench' });
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: jobMarkerKey(jobId, 'main', 'final'), Body: JSON.stringify(m) }));
  console.error(`[bench] fixture ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${seq} chunks, ${line} lines`);
}

// ---------------------------------------------------------------------------------------------
// Parent side.

async function measure(stack: StackInfo, o: { rounds: number; mb: number; chunks: number }): Promise<void> {
  const jobId = jobIdFor(o.mb, o.chunks);
  const s3 = localS3Client(stack);
  try {
    await ensureFixture(s3, jobId, o.mb, o.chunks);
  } finally {
    s3.destroy();
  }
  // Children run the esbuild bundle of assembler-child.ts, as Lambda runs the function's bundle.
  const bundle = await bundleForChild(CHILD, 'assembler-child');
  // Both children run with the Node flags the template gives the assembler function.
  const nodeFlags = (stack.resources?.assembler.environment['NODE_OPTIONS'] ?? '').split(/\s+/).filter((f) => f !== '' && f !== '--enable-source-maps');
  console.log(
    `Assembling a ${o.mb} MiB job of ${o.chunks} chunks on the local stack (${machineNote()}); node flags (the assembler's NODE_OPTIONS): ${nodeFlags.join(' ') || 'none'}\n`,
  );
  await runRounds({
    name: 'assembler',
    variants: ['copy', 'assemble'] as const,
    baseline: 'copy',
    rounds: o.rounds,
    measure: (variant) =>
      runChild(bundle, ['--variant', variant, '--bucket', BUCKET, '--job', jobId, '--moto', stack.moto.url, '--region', stack.region], { nodeFlags }),
    columns: [
      { label: 'wall s', value: (r: RunResult) => r.ms / 1000, digits: 1 },
      { label: 'peak RSS MiB', value: (r) => r.peakRssMb, digits: 0 },
      { label: 'output MiB', value: (r) => Number(r['bytes']) / MB, digits: 1 },
      { label: 'speed vs copy', value: (r, copy) => copy.ms / r.ms, digits: 2, unit: '×' },
    ],
    aim: [
      { variant: 'assemble', column: 'speed vs copy', atLeast: AIM_RATIO },
      { variant: 'assemble', column: 'peak RSS MiB', atMost: AIM_RSS_MB },
    ],
    context: { options: o },
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      mb: { type: 'string', default: '1024' },
      chunks: { type: 'string', default: '10000' },
    },
  });
  requireNode24();
  const rounds = Number(values.rounds);
  const mb = Number(values.mb);
  const chunks = Number(values.chunks);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!(mb >= 1) || !Number.isInteger(chunks) || chunks < 1) throw new Error('--mb and --chunks must be positive');
  await withLocalStack((stack) => measure(stack, { rounds, mb, chunks }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
