/**
 * Amazon OpenSearch Service with IAM, on the local stack (`--cluster opensearch-2`): the deploy
 * step, the indexer and the logs API with `CLUSTER_AUTH=iam` sign every request with the role's
 * credentials (a session token included, as Lambda's are), and a verifying proxy in front of the
 * local OpenSearch (testkit/sigv4.ts: SigV4 recomputed from the specification, checked against
 * AWS's test suite) lets through only what verifies. The invariant holds through it, and an
 * indexer with credentials the domain does not accept indexes nothing and hands its records back.
 * Elasticsearch takes no SigV4 (the configuration refuses iam there): skipped on es-8/es-9.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esSetup } from '../../deploy/es-setup.js';
import { sigV4Signer } from '../../shared/adapters/search/signers.js';
import { chunkKey } from '../../shared/core/contract/index.js';
import {
  checkExactlyOnce,
  countJobDocuments,
  describeVerdict,
  discardSink,
  eventually,
  registerTestJob,
  shipLines,
  startSigV4Proxy,
  type PrintedChunk,
  type SigV4Proxy,
} from '../../testkit/index.js';
import { startIssuer, startLocalApi, type HttpApi, type LocalIssuer } from '../../testkit/http/index.js';
import { quickIndexer, startLocalPipeline } from '../../testkit/pipeline/index.js';
import { awsLocalEnv, loadStack, readStackFile, type LocalStack } from '../../testkit/stack/index.js';

const OPENSEARCH = readStackFile()?.elasticsearch.kind === 'opensearch-2';
const DATA_STREAM = 'logs-mlplatform.job-local';
/** The role the functions run with: temporary credentials, as Lambda hands them out. */
const ROLE = {
  accessKeyId: 'ASIAJOBLOGSFUNCTION1',
  secretAccessKey: 'ZnVuY3Rpb24tcm9sZS1zZWNyZXQtZm9yLXRlc3Rz',
  sessionToken: 'FwoGZXIvYXdzEJr//////////session-token-of-the-role',
};
const IAM_ENV = {
  CLUSTER_KIND: 'opensearch-2',
  CLUSTER_AUTH: 'iam',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: ROLE.accessKeyId,
  AWS_SECRET_ACCESS_KEY: ROLE.secretAccessKey,
  AWS_SESSION_TOKEN: ROLE.sessionToken,
};

let stack: LocalStack;
let proxy: SigV4Proxy;
const savedEnv = { ...process.env };

beforeAll(async () => {
  if (!OPENSEARCH) return;
  stack = loadStack();
  Object.assign(process.env, awsLocalEnv(stack.info));
  // moto takes any credentials: the role's reach S3 and SQS too, as they would in Lambda.
  proxy = await startSigV4Proxy({ target: stack.info.elasticsearch.url, region: stack.region, credentials: [ROLE] });
});

afterAll(async () => {
  await proxy?.close();
  await stack?.close();
  process.env = savedEnv;
});

function printedChunks(jobId: string): PrintedChunk[] {
  return Array.from({ length: 3 }, (_, seq) => ({
    key: chunkKey({ jobId, source: 'main', seq }),
    lines: Array.from({ length: 400 }, (_, i) =>
      i === 200 ? `step ${i} NaN detected in loss (chunk ${seq})` : `step ${i} loss=${(1 / (i + 1)).toFixed(5)} chunk ${seq}`,
    ),
  }));
}

describe.skipIf(!OPENSEARCH)('IAM (SigV4) against a verifying endpoint in front of OpenSearch', () => {
  it('runs the deploy step signed with the deployer’s credentials: every request verifies', async () => {
    const before = proxy.accepted;
    const report = await esSetup({
      stage: 'local',
      node: proxy.url,
      retentionDays: 3,
      kind: 'opensearch-2',
      lifecycle: 'optional',
      sign: sigV4Signer({ region: stack.region, credentials: async () => ROLE }),
    });
    expect(report.kind).toBe('opensearch-2');
    expect(proxy.refused).toEqual([]);
    expect(proxy.accepted - before).toBeGreaterThanOrEqual(8);
  });

  it('indexes a job exactly once with the indexer signing every bulk request with its role', async () => {
    const jobId = `sigv4-${randomUUID().slice(0, 8)}`;
    const chunks = printedChunks(jobId);
    const pipeline = await startLocalPipeline({
      stack,
      indexer: quickIndexer({ env: { ...IAM_ENV, ES_NODE: proxy.url } }),
      purge: true,
      logStream: discardSink(),
    });
    try {
      const before = proxy.accepted;
      for (const c of chunks) await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: c.key, Body: gzipSync(`${c.lines.join('\n')}\n`) }));
      await eventually(
        () => countJobDocuments(stack, DATA_STREAM, jobId),
        (n) => n >= 1200,
        'the job indexed through the verifying endpoint',
        90_000,
      );
      const verdict = await checkExactlyOnce(stack, { dataStream: DATA_STREAM, jobId, printed: chunks });
      expect(verdict.problems, describeVerdict(verdict)).toEqual([]);
      expect(proxy.accepted - before).toBeGreaterThanOrEqual(3);
      expect(proxy.refused).toEqual([]);
    } finally {
      await pipeline.stop();
    }
  });

  it('hands every record back when the role is not one the domain accepts, and indexes nothing', async () => {
    const jobId = `sigv4-denied-${randomUUID().slice(0, 8)}`;
    const [chunk] = printedChunks(jobId) as [PrintedChunk];
    const env = { ...IAM_ENV, ES_NODE: proxy.url, AWS_SECRET_ACCESS_KEY: 'not-the-role-secret' };
    const pipeline = await startLocalPipeline({ stack, indexer: quickIndexer({ env }), purge: true, logStream: discardSink() });
    const refusedBefore = proxy.refused.length;
    try {
      await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: chunk.key, Body: gzipSync(`${chunk.lines.join('\n')}\n`) }));
      await eventually(
        async () => pipeline.indexer!.stats.failed,
        (f) => f >= 1,
        'the record handed back',
        60_000,
      );
    } finally {
      await pipeline.stop();
    }
    expect(proxy.refused.slice(refusedBefore).every((r) => r.reason === 'signature does not match')).toBe(true);
    expect(proxy.refused.length).toBeGreaterThan(refusedBefore);
    expect(await countJobDocuments(stack, DATA_STREAM, jobId)).toBe(0);
  });

  describe('the logs API reading with its role', () => {
    let idp: LocalIssuer;
    let api: HttpApi;
    let token: string;
    const jobId = `sigv4-api-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      if (!OPENSEARCH) return;
      const audience = stack.info.resources.logsApi.environment['JWT_AUDIENCE']!;
      idp = await startIssuer({ audience });
      token = await idp.token({ sub: 'alice', teams: [] });
      api = await startLocalApi({ stack: stack.info, issuer: idp.issuer, logStream: discardSink(), env: { ...IAM_ENV, ES_NODE: proxy.url } });
      await registerTestJob(stack.s3, stack.bucket, jobId, { owner: 'alice' });
      const pipeline = await startLocalPipeline({ stack, indexer: quickIndexer(), purge: true, logStream: discardSink() });
      const spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-sigv4-'));
      try {
        const t0 = Date.parse('2026-11-25T10:00:00.000Z');
        await shipLines({
          s3: stack.s3,
          bucket: stack.bucket,
          jobId,
          spoolDir,
          count: 1200,
          text: (i) => (i % 400 === 200 ? `step ${i} NaN detected in loss` : `step ${i} loss=${(1 / (i + 1)).toFixed(5)}`),
          time: (i) => t0 + i,
        });
        await eventually(
          () => countJobDocuments(stack, DATA_STREAM, jobId),
          (n) => n >= 1200,
          'the API job indexed',
          90_000,
        );
      } finally {
        await pipeline.stop();
        rmSync(spoolDir, { recursive: true, force: true });
      }
      // The API's role: read from the environment when it signs, as in Lambda.
      Object.assign(process.env, IAM_ENV);
      // The API answers up to the chunks recorded as indexed, not up to the documents counted
      // above: wait until it sees the job complete (once failed here with a summary but no lines).
      await eventually(
        () => get(api.url, `/jobs/${jobId}`),
        (a) => a.body.status === 'complete' && a.body.archive === undefined,
        'the API job complete through the verifying endpoint',
        90_000,
      );
    }, 180_000);

    afterAll(async () => {
      await api?.close();
      await idp?.close();
    });

    const get = async (base: string, route: string) => {
      const response = await fetch(`${base}${route}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as any };
    };

    it('pages, searches (with highlights) and summarises through the verifying endpoint', async () => {
      const before = { accepted: proxy.accepted, refused: proxy.refused.length };
      const summary = await get(api.url, `/jobs/${jobId}`);
      expect(summary.status).toBe(200);
      expect(summary.body.lineCount).toBe(1200);
      const page = await get(api.url, `/jobs/${jobId}/lines?limit=500`);
      expect(page.body.lines).toHaveLength(500);
      const next = await get(api.url, `/jobs/${jobId}/lines?limit=1000&after=${page.body.next}`);
      expect(next.body.lines).toHaveLength(700);
      const search = await get(api.url, `/jobs/${jobId}/search?q=${encodeURIComponent('"NaN detected"')}`);
      expect(search.body.matches.map((m: { text: string }) => m.text)).toEqual([200, 600, 1000].map((i) => `step ${i} NaN detected in loss`));
      expect(search.body.matches[0].highlights).toEqual([
        [9, 12],
        [13, 21],
      ]);
      // Each of the four answers read the cluster at least once, every request signed and accepted
      // (a finished job's summary may be one search: its view is kept, its counts in its chunk records).
      expect(proxy.accepted - before.accepted).toBeGreaterThanOrEqual(4);
      expect(proxy.refused.length).toBe(before.refused);
    });
  });
});
