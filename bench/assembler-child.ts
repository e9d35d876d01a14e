/**
 * One measured run of bench/assembler.ts, bundled with esbuild and run by plain Node (as Lambda
 * runs the function's bundle), so its peak RSS is the code's own:
 *
 *   node assembler-child.mjs --variant copy|assemble --bucket <b> --job <jobId> --moto <url> [--region us-east-1] [--gzip-level 6]
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { parseArgs } from 'node:util';
import { readAndAssembleJob } from '../functions/assembler/assemble-job.js';
import { assemblerAdapters } from '../functions/assembler/create-handler.js';
import { createLogger } from '../shared/adapters/logger.js';
import { s3ChunkStore } from '../shared/adapters/s3/chunk-store.js';
import { MultipartWriter } from '../shared/adapters/s3/multipart-writer.js';
import { loadAssemblerConfig } from '../shared/config/assembler-config.js';
import { discardSink } from '../testkit/log-sink.js';
import { listKeys } from '../testkit/s3.js';
import { reportResult } from '../testkit/bench/result.js';
import { localS3Client } from '../testkit/stack/aws.js';

async function run(variant: string, bucket: string, jobId: string, moto: string, region: string, gzipLevel: string): Promise<void> {
  const s3 = localS3Client({ region, moto: { url: moto } });
  const config = loadAssemblerConfig({
    STAGE: 'bench',
    LOG_BUCKET: bucket,
    ASSEMBLE_QUEUE_URL: 'http://127.0.0.1/unused',
    S3_FORCE_PATH_STYLE: 'true',
    GZIP_LEVEL: gzipLevel,
  });
  const started = performance.now();
  if (variant === 'copy') {
    const keys = await listKeys(s3, bucket, `chunks/v1/${jobId}/`);
    const store = s3ChunkStore(s3);
    const writer = MultipartWriter.create(s3, { bucket: bucket, key: `bench-copy/${jobId}.gz`, contentType: 'application/gzip', partBytes: config.partBytes });
    const fetchWhole = async (key: string) => {
      const c = await store.open(bucket, key);
      const parts: Buffer[] = [];
      for await (const p of c.body) parts.push(p as Buffer);
      return Buffer.concat(parts);
    };
    // The same read-ahead as the assembler's.
    const ahead: Array<Promise<Buffer>> = [];
    let next = 0;
    let bytes = 0;
    while (next < keys.length || ahead.length > 0) {
      while (ahead.length < config.prefetchChunks && next < keys.length) ahead.push(fetchWhole(keys[next++]!));
      const body = await ahead.shift()!;
      bytes += body.length;
      await writer.write(body);
    }
    await writer.finish({});
    reportResult({ variant, ms: performance.now() - started, bytes });
    return;
  }
  const logger = createLogger('bench', discardSink());
  const deps = { config, ...assemblerAdapters(config, s3), queue: { send: async () => undefined }, logger, now: Date.now };
  const outcome = await readAndAssembleJob({ jobId }, deps, Date.now() + 3_600_000);
  if (outcome.kind !== 'assembled') throw new Error(`assembly ended ${outcome.kind}`);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: outcome.key }));
  reportResult({ variant, ms: performance.now() - started, bytes: head.ContentLength ?? 0, lines: outcome.metadata.lineCount, gaps: outcome.metadata.gaps });
}

const { values } = parseArgs({
  options: {
    variant: { type: 'string' },
    bucket: { type: 'string' },
    job: { type: 'string' },
    moto: { type: 'string' },
    region: { type: 'string', default: 'us-east-1' },
    'gzip-level': { type: 'string', default: '6' },
  },
});
if ((values.variant !== 'copy' && values.variant !== 'assemble') || !values.bucket || !values.job || !values.moto)
  throw new Error('--variant copy|assemble --bucket <b> --job <id> --moto <url>');
await run(values.variant, values.bucket, values.job, values.moto, values.region, values['gzip-level']);
