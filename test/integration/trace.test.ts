/**
 * One trace across the platform, on the local stack: an "API" server → a Python API server
 * (WSGI, joblogs's middleware and logging handler) → a "worker" server (HTTP) → an SQS message
 * (a queue of this test, in moto) → a launcher → a job under `joblogs run` (the bundled CLI). The
 * Node servers and the launcher log with the service logger, shipped through the shipper
 * library; the Python server with `logging` and `joblogs.ShipperHandler`; the job logs to stdout,
 * shipped by `joblogs run`. Everything goes S3 → the chunk queue → the real indexer →
 * Elasticsearch, where one search by trace.id must return every line of one request's story, in
 * causal order, and nothing of a second request served at the same time.
 */
import { CreateQueueCommand, DeleteMessageCommand, DeleteQueueCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickIndexer, startLocalPipeline, type LocalPipeline } from '../../testkit/pipeline/index.js';
import { buildCli } from '../../cli/build.js';
import { esRequest, eventually as poll, refresh, REPO_ROOT, shipperArgs } from '../../testkit/index.js';
import { createServiceLogger, type ServiceLogger } from '../../shared/logging/index.js';
import { currentTrace, jobTraceEnv, sqsTraceAttributes, traceFromSqsMessage, tracedFetch, tracedListener, withTrace } from '../../shared/trace/index.js';
import { awsLocalEnv, ensurePythonClient, loadStack, type LocalStack } from '../../testkit/stack/index.js';
import { gate, jsonLines } from '../unit/shared/trace/support.js';
import { sdkObjectClient } from '../../shared/adapters/s3/sdk-object-client.js';

/** Polls with this file's longer default: the chain crosses four processes and two queues. */
const eventually = <T>(probe: () => Promise<T>, accept: (v: T) => boolean, what: string, timeoutMs = 90_000) => poll(probe, accept, what, timeoutMs);

const DATA_STREAMS = 'logs-mlplatform.*-local';

let stack: LocalStack;
let indexer: LocalPipeline;
let work: string;
let bin: string;
let queueUrl: string;
let python: string;
const servers: http.Server[] = [];
const pythonServers: ChildProcess[] = [];

async function listen(listener: http.RequestListener): Promise<string> {
  const server = http.createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function serviceLogger(service: string, tag: string): ServiceLogger & { stdout: ReturnType<typeof jsonLines> } {
  const stdout = jsonLines();
  const logger = createServiceLogger({
    service,
    instance: `${service}-${tag}`,
    bucket: stack.bucket,
    spoolDir: path.join(work, 'spool'),
    s3: sdkObjectClient(stack.s3),
    flushIntervalMs: 200,
    stdout: stdout.stream,
  });
  return { ...logger, stdout };
}

/** test/support/trace-py-server.py in the Python client's venv, calling `next`; resolves with its URL and a `stop()` that waits until its log is shipped. */
async function startPythonServer(next: string, tag: string): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const { TRACEPARENT: _inherited, ...base } = process.env;
  const child = spawn(python, [path.join(REPO_ROOT, 'test', 'support', 'trace-py-server.py'), next, stack.bucket, `pyapi-${tag}`, path.join(work, 'spool')], {
    env: { ...base, ...awsLocalEnv(stack.info) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  pythonServers.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    void exited.then((code) => reject(new Error(`the Python server exited (${code}) before it listened`)));
  });
  return { url, stop: () => (child.kill('SIGTERM'), exited) };
}

/** `joblogs run -- tsx trace-job.ts <run>` with the launcher's trace in TRACEPARENT. */
async function runJob(run: string, tag: string): Promise<{ code: number | null; stderr: string }> {
  const { TRACEPARENT: _inherited, ...base } = process.env;
  const child = spawn(
    process.execPath,
    [
      bin,
      ...shipperArgs('run', { jobId: `trace-${tag}-${run}`, bucket: stack.bucket, spoolDir: path.join(work, 'spool') }, ['--service', 'trainer']),
      '--',
      process.execPath,
      path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      path.join(REPO_ROOT, 'test', 'support', 'trace-job.ts'),
      run,
    ],
    { env: { ...base, ...awsLocalEnv(stack.info), ...jobTraceEnv(currentTrace()!) }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = await once(child, 'close');
  return { code: code as number | null, stderr };
}

async function receive(count: number): Promise<Message[]> {
  const messages: Message[] = [];
  while (messages.length < count) {
    const { Messages = [] } = await stack.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    messages.push(...Messages);
  }
  return messages;
}

async function linesOfTrace(traceId: string): Promise<Array<Record<string, any>>> {
  await refresh(stack, DATA_STREAMS);
  const result = await esRequest(stack, 'POST', `/${DATA_STREAMS}/_search`, {
    size: 100,
    query: { term: { 'trace.id': traceId } },
    sort: [{ '@timestamp': 'asc' }],
  });
  return (result.hits.hits as Array<{ _source: Record<string, any> }>).map((h) => h._source);
}

beforeAll(async () => {
  stack = loadStack();
  python = await ensurePythonClient();
  work = mkdtempSync(path.join(tmpdir(), 'joblogs-trace-it-'));
  bin = await buildCli(path.join(work, 'joblogs.mjs'));
  queueUrl = (await stack.sqs.send(new CreateQueueCommand({ QueueName: `trace-it-jobs-${randomUUID().slice(0, 8)}` }))).QueueUrl!;
  indexer = await startLocalPipeline({ stack, indexer: quickIndexer(), purge: true });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  for (const child of pythonServers) if (child.exitCode === null) child.kill('SIGKILL');
  await indexer?.stop();
  if (queueUrl) await stack.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
  await stack?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('one trace across the platform', () => {
  it("finds the API's, the Python API's, the worker's, the launcher's and the job's lines of one request by its trace id, in causal order, and none of a concurrent one", async () => {
    const tag = randomUUID().slice(0, 8);
    // Fresh per run: the local stack keeps its documents between runs.
    const uiTrace = randomUUID().replace(/-/g, '');
    const api = serviceLogger('api', tag);
    const worker = serviceLogger('worker', tag);
    const launcher = serviceLogger('launcher', tag);
    const outbound = tracedFetch();

    // The worker holds the first request until the second has arrived: the two overlap.
    const firstInWorker = gate();
    const bothInWorker = gate();
    let inWorker = 0;
    const workerUrl = await listen(
      tracedListener(async (req, res) => {
        const run = req.url!.slice(1);
        worker.logger.info(`worker accepted job for run ${run}`);
        if (++inWorker === 1) firstInWorker.open();
        else bothInWorker.open();
        await bothInWorker.opened;
        await stack.sqs.send(
          new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ run }), MessageAttributes: sqsTraceAttributes(currentTrace()!) }),
        );
        worker.logger.info(`worker queued job for run ${run}`);
        res.writeHead(202).end();
      }),
    );
    // The Python API server sits between the API and the worker: a WSGI app, joblogs's middleware and logging handler.
    const pyapi = await startPythonServer(workerUrl, tag);
    const apiUrl = await listen(
      tracedListener(async (req, res) => {
        const run = req.url!.slice(1);
        api.logger.info(`api received train request for run ${run}`);
        const answer = await outbound(`${pyapi.url}/${run}`, { method: 'POST' });
        await answer.arrayBuffer();
        api.logger.info(`api got ${answer.status} from pyapi for run ${run}`);
        res.end();
      }),
    );

    // Request A continues the UI's trace and has an x-request-id; B starts its own trace.
    const requestA = fetch(`${apiUrl}/A`, { method: 'POST', headers: { traceparent: `00-${uiTrace}-1a2b3c4d5e6f7081-01`, 'x-request-id': 'ui-req-A' } });
    await firstInWorker.opened;
    const requestB = fetch(`${apiUrl}/B`, { method: 'POST' });
    const [answerA, answerB] = await Promise.all([requestA, requestB]);
    expect(answerA.headers.get('x-request-id')).toBe('ui-req-A');
    // The UI learns the trace to link to from traceresponse.
    const traceOf = async (answer: Response): Promise<string> => {
      await answer.arrayBuffer();
      return answer.headers.get('traceresponse')!.split('-')[1]!;
    };
    const traceA = await traceOf(answerA);
    const traceB = await traceOf(answerB);
    expect(traceA).toBe(uiTrace);
    expect(traceB).not.toBe(traceA);

    // The launcher takes both messages and runs both jobs at once, each in its message's trace.
    const messages = await receive(2);
    const jobs = await Promise.all(
      messages.map((message) =>
        withTrace(traceFromSqsMessage(message), async () => {
          const { run } = JSON.parse(message.Body!) as { run: string };
          launcher.logger.info(`launcher starting job for run ${run}`);
          const job = await runJob(run, tag);
          await stack.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
          return job;
        }),
      ),
    );
    for (const job of jobs) expect(job.code, job.stderr).toBe(0);
    const [pyapiExit] = await Promise.all([pyapi.stop(), api.close(), worker.close(), launcher.close()]);
    expect(pyapiExit).toBe(0);
    // The servers also wrote every line to their stdout.
    expect(api.stdout.lines.map((l) => l['message'])).toHaveLength(4);

    const story = (run: string) => [
      ['api', `api received train request for run ${run}`],
      ['pyapi', `pyapi received train request for run ${run}`],
      ['worker', `worker accepted job for run ${run}`],
      ['worker', `worker queued job for run ${run}`],
      ['pyapi', `pyapi got 202 from worker for run ${run}`],
      ['api', `api got 202 from pyapi for run ${run}`],
      ['launcher', `launcher starting job for run ${run}`],
      ['trainer', `job ${run} started`],
      ['trainer', expect.stringMatching(new RegExp(`^\\S+ INFO job ${run} epoch 1 loss=0\\.31$`))],
      ['trainer', `job ${run} finished`],
    ];
    const linesA = await eventually(
      () => linesOfTrace(traceA),
      (l) => l.length >= 10,
      'the lines of trace A',
    );
    const linesB = await eventually(
      () => linesOfTrace(traceB),
      (l) => l.length >= 10,
      'the lines of trace B',
    );
    expect(linesA.map((d) => [d['service']?.name, d['message']])).toEqual(story('A'));
    expect(linesB.map((d) => [d['service']?.name, d['message']])).toEqual(story('B'));
    // Services' lines land in the service dataset, the job's in the job dataset.
    expect(linesA.map((d) => d['data_stream'].dataset)).toEqual([...Array(7).fill('mlplatform.service'), ...Array(3).fill('mlplatform.job')]);
    expect(linesA.slice(0, 6).every((d) => d['json']?.['http.request.id'] === 'ui-req-A' || d['json']?.http?.request?.id === 'ui-req-A')).toBe(true);
    // The Python server's lines are its logging records: ECS fields of joblogs.EcsFormatter, its own span of the trace.
    const pyLines = linesA.filter((d) => d['service']?.name === 'pyapi');
    expect(pyLines.map((d) => d['log']?.level)).toEqual(['info', 'info']);
    expect(new Set(pyLines.map((d) => d['span']?.id)).size).toBe(1);
    expect(pyLines[0]!['span'].id).not.toBe(linesA[0]!['span']?.id);

    // The indexer's own line for each job chunk is in that chunk's trace.
    const indexedJobChunks = indexer.logs.filter((l) => l['message'] === 'chunk indexed' && String(l['jobId']).startsWith(`trace-${tag}-`));
    expect(new Set(indexedJobChunks.map((l) => l['trace.id']))).toEqual(new Set([traceA, traceB]));
  });
});
