/**
 * Measures, on the local stack, the per-chunk and per-job figures the cost model needs
 * (shared/core/cost, docs/cost.md): three jobs (quiet, steady, chatty) ship through the real
 * shipper for a while; every S3 and SQS request of the shipper and the functions goes through a
 * counting proxy in front of moto; the functions' invocations and durations come from the SQS
 * runners; the search cluster's bytes on disk from `_stats` after a force-merge.
 *
 * @example
 * const measured = await measureCosts(stack, { seconds: 60 });   // → docs/cost-measured.json
 */
import { DeleteObjectsCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MeasuredCosts } from '../shared/core/cost/index.js';
import { downloadKey } from '../shared/core/download/index.js';
import { jobDocuments, mergedStoreBytes, resetDataStream } from './es.js';
import { eventually } from './eventually.js';
import { startHttpFaultProxy, type HttpRequestInfo } from './fault-proxy.js';
import { registerTestJob } from './jobs.js';
import { startLocalPipeline, type BatchOutcome } from './pipeline/index.js';
import { listKeys } from './s3.js';
import { shipLines } from './ship-lines.js';
import { syntheticLog } from './synthetic-log.js';
import { localS3Client, localSqsClient, type ProvisionedStack } from './stack/index.js';

const MIB = 1024 * 1024;
export const COST_DATASET = 'mlplatform.cost';

/** The jobs of a measurement: a quiet one (1 line/s), a steady one and a chatty one. */
const PROFILES = [
  { name: 'quiet', linesPerS: 1 },
  { name: 'steady', linesPerS: 50 },
  { name: 'chatty', linesPerS: 2000 },
] as const;

type RequestKind = 'put' | 'get' | 'list' | 'delete' | 'sqs';

/** What an S3 or SQS request is, from its method, path and headers (path-style S3, SQS JSON protocol). */
export function classifyRequest(r: Pick<HttpRequestInfo, 'method' | 'path' | 'headers'>): { kind: RequestKind; key: string | undefined } {
  if (r.headers['x-amz-target']) return { kind: 'sqs', key: String(r.headers['x-amz-target']) };
  const [pathname, query = ''] = r.path.split('?');
  const key = decodeURIComponent(pathname!.split('/').slice(2).join('/')) || undefined;
  if (r.method === 'DELETE' || (r.method === 'POST' && /(^|&)delete(=|&|$)/.test(query))) return { kind: 'delete', key };
  if (r.method === 'GET' && !key) return { kind: 'list', key };
  if (r.method === 'GET' || r.method === 'HEAD') return { kind: 'get', key };
  return { kind: 'put', key };
}

/** What the jobs print: the lines of the synthetic training log (testkit/synthetic-log.ts), `\r` redraws left out. */
function syntheticLines(count: number): string[] {
  const lines: string[] = [];
  for (const piece of syntheticLog({ seed: 17, totalBytes: count * 400 })) {
    for (const line of piece.split('\n')) if (line.length > 0 && !line.includes('\r')) lines.push(line);
    if (lines.length >= count) break;
  }
  return lines.slice(0, count);
}

/** Least squares of y = a + b·x. */
export function fitLine(points: ReadonlyArray<[number, number]>): { a: number; b: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const b = sxx === 0 ? 0 : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { a: Math.max(0, my - b * mx), b: Math.max(0, b) };
}

export async function measureCosts(stack: ProvisionedStack, o: { seconds: number; log?: (line: string) => void }): Promise<MeasuredCosts> {
  const log = o.log ?? (() => undefined);
  const proxy = await startHttpFaultProxy(stack.moto.url);
  const viaProxy: ProvisionedStack = { ...stack, moto: { ...stack.moto, url: proxy.url } };
  const requests: Array<{ kind: RequestKind; key: string | undefined }> = [];
  proxy.plan((r) => {
    requests.push(classifyRequest(r));
    return undefined;
  });
  const s3 = localS3Client(viaProxy);
  const sqs = localSqsClient(viaProxy);
  const spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-cost-'));
  const dataStream = `logs-${COST_DATASET}-${stack.resources.stage}`;
  const run = Date.now().toString(36);
  const jobs = PROFILES.map((p) => ({ ...p, jobId: `cost-${p.name}-${run}` }));
  // Per indexer invocation: its duration and the raw MiB of the chunks it read (object size / gzip ratio, known at the end).
  const indexerBatches: Array<{ durationMs: number; gzipBytes: number }> = [];
  const assemblerBatches: BatchOutcome[] = [];
  const pipeline = await startLocalPipeline({
    stack: { info: viaProxy, sqs },
    indexer: {
      wrap: (handler) => async (event, context) => {
        const started = Date.now();
        const answer = await handler(event, context);
        indexerBatches.push({ durationMs: Date.now() - started, gzipBytes: eventBytes(event) });
        return answer;
      },
    },
    assembler: { onBatch: (outcome) => assemblerBatches.push(outcome) },
    purge: true,
    logStream: { write: () => true } as unknown as NodeJS.WritableStream,
  });
  try {
    await resetDataStream(stack.elasticsearch, dataStream);
    requests.length = 0;
    for (const job of jobs) await registerTestJob(s3, stack.resources.bucket, job.jobId);
    const printed = syntheticLines(Math.max(...jobs.map((j) => j.linesPerS)) * o.seconds);
    log(`[cost] shipping 3 jobs of the synthetic training log for ${o.seconds} s: ${jobs.map((j) => `${j.name} ${j.linesPerS} lines/s`).join(', ')}`);
    await Promise.all(
      jobs.map((job) => {
        const every = Math.max(1, Math.round(job.linesPerS / 10));
        return shipLines({
          s3,
          bucket: stack.resources.bucket,
          jobId: job.jobId,
          spoolDir,
          count: job.linesPerS * o.seconds,
          text: (i) => printed[i]!,
          pauseEvery: every,
          pauseMs: (1000 * every) / job.linesPerS,
          shipper: { dataset: COST_DATASET },
        });
      }),
    );
    const printedLines = jobs.reduce((s, j) => s + j.linesPerS * o.seconds, 0);
    const rawBytes = jobs.reduce((s, j) => s + printed.slice(0, j.linesPerS * o.seconds).reduce((b, l) => b + Buffer.byteLength(l) + 1, 0), 0);
    log('[cost] waiting for every line to be indexed and every download file to be assembled');
    // A traceback is one document standing for its lines (`joblogs.span`): count lines, not documents.
    await eventually(
      async () => {
        let lines = 0;
        for (const job of jobs) {
          for (const doc of await jobDocuments(stack.elasticsearch, dataStream, job.jobId, { fields: ['joblogs.span'] }))
            lines += Math.max(1, Number(doc._source['joblogs']?.span ?? 1));
        }
        return lines;
      },
      (n) => n >= printedLines,
      'every line indexed',
      300_000,
    );
    await eventually(
      () =>
        Promise.all(
          jobs.map((j) =>
            s3.send(new HeadObjectCommand({ Bucket: stack.resources.bucket, Key: downloadKey(j.jobId) })).then(
              (h) => h.Metadata?.['status'],
              () => undefined,
            ),
          ),
        ),
      (statuses) => statuses.every((s) => s === 'complete'),
      'every download file',
      300_000,
    );
    await new Promise((r) => setTimeout(r, 2_000)); // the last deletes of the runners
    const counted = [...requests];

    // Chunks: what the shipper put under chunks/ (each PUT once unless retried); their gzip sizes.
    const chunkKeys = (await listKeys(s3, stack.resources.bucket, 'chunks/')).filter((k) => jobs.some((j) => k.includes(`/${j.jobId}/`)));
    let gzipBytes = 0;
    for (const key of chunkKeys) gzipBytes += Number((await s3.send(new HeadObjectCommand({ Bucket: stack.resources.bucket, Key: key }))).ContentLength ?? 0);
    const chunks = chunkKeys.length;
    const gzipRatio = gzipBytes / rawBytes;
    const isChunk = (key: string | undefined) => !!key && key.startsWith('chunks/');
    const count = (kind: RequestKind, chunk: boolean) => counted.filter((r) => r.kind === kind && isChunk(r.key) === chunk).length;

    // The search cluster: one copy's bytes on disk once merged, per printed byte.
    const { storeBytes } = await mergedStoreBytes(stack.elasticsearch, dataStream);

    const indexerFit = fitLine(indexerBatches.map((b) => [b.gzipBytes / gzipRatio / MIB, b.durationMs]));
    const worked = assemblerBatches.filter((b) => b.succeeded.length > 0);
    const assemblerMs = worked.reduce((s, b) => s + b.durationMs, 0);
    // The assembler's fixed part: its quickest invocation; the rest is spread over the MiB it assembled.
    const assemblerFixedMs = Math.min(...worked.map((b) => b.durationMs));
    const assemblerMsPerMiB = Math.max(0, (assemblerMs - worked.length * assemblerFixedMs) / (rawBytes / MIB));
    const indexerInvocations = indexerBatches.length;
    const sqsReceivesAndDeletes = 2 * (indexerInvocations + assemblerBatches.length);
    // Each object under chunks/ and jobs/ is one S3 → SQS notification (moto sends them inside itself).
    const markerNotifications = counted.filter((r) => r.kind === 'put' && r.key?.startsWith('jobs/')).length;
    const measured: MeasuredCosts = {
      measuredAt: new Date().toISOString(),
      machine: `local stack (moto + Elasticsearch ${stack.elasticsearch.url}); functions in process; ${o.seconds} s, ${printedLines} lines, ${chunks} chunks`,
      s3: {
        putsPerChunk: count('put', true) / chunks,
        getsPerChunk: count('get', true) / chunks,
        putsPerJob: count('put', false) / jobs.length,
        getsPerJob: count('get', false) / jobs.length,
        listsPerJob: (count('list', false) + count('list', true)) / jobs.length,
      },
      sqs: {
        requestsPerChunk: 1 + (2 * indexerInvocations) / chunks,
        requestsPerJob: (markerNotifications + 2 * assemblerBatches.length) / jobs.length,
      },
      lambda: {
        indexer: {
          invocationsPerChunk: indexerInvocations / chunks,
          msPerInvocation: indexerFit.a,
          msPerMiB: indexerFit.b,
          memoryMb: stack.resources.function.memoryMb,
        },
        assembler: {
          invocationsPerJob: worked.length / jobs.length,
          msPerInvocation: assemblerFixedMs,
          msPerMiB: assemblerMsPerMiB,
          memoryMb: stack.resources.assembler.memoryMb,
        },
      },
      searchBytesPerRawByte: storeBytes / rawBytes,
      gzipRatio,
    };
    log(
      `[cost] ${chunks} chunks, ${counted.length} S3/SQS requests through the proxy (SQS receives/deletes of the runners: ${sqsReceivesAndDeletes}); ${(rawBytes / printedLines).toFixed(0)} B printed and ${(storeBytes / printedLines).toFixed(0)} B on the cluster per line`,
    );
    return measured;
  } finally {
    await pipeline.stop();
    const keys = await listKeys(s3, stack.resources.bucket, '').then((all) => all.filter((k) => jobs.some((j) => k.includes(j.jobId))));
    for (let i = 0; i < keys.length; i += 1000)
      await s3.send(new DeleteObjectsCommand({ Bucket: stack.resources.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
    await resetDataStream(stack.elasticsearch, dataStream);
    await proxy.close();
    s3.destroy();
    sqs.destroy();
    rmSync(spoolDir, { recursive: true, force: true });
  }
}

/** Gzip bytes of the chunks an indexer invocation was told about (S3 event records' object sizes). */
function eventBytes(event: SQSEvent): number {
  let bytes = 0;
  for (const record of event.Records) {
    try {
      for (const r of (JSON.parse(record.body) as { Records?: Array<{ s3?: { object?: { size?: number } } }> }).Records ?? []) bytes += r.s3?.object?.size ?? 0;
    } catch {
      /* not an S3 event: no bytes */
    }
  }
  return bytes;
}
