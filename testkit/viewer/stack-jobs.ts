/**
 * The viewer's test jobs on the local stack: the same lines as the reference server's
 * (viewer/dev/synthetic-jobs.ts), shipped through the real shipper (`shipLines`: framing, gzip,
 * spool, S3) and indexed by the real indexer, then read back through the real logs API. A
 * finished job is named after the run (`viewer-1m-<run>`) and shipped once per run: a backend that
 * finds it registered already only waits until every line is searchable.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RANKS, multiSourceLine, stepLine, trainingLine, type SyntheticLine } from '../../viewer/dev/synthetic-jobs.js';
import { Shipper } from '../../shared/shipper/index.js';
import { archiveKeys } from '../../shared/core/archive/index.js';
import { countJobDocuments, deleteJobDocuments } from '../es.js';
import { eventually } from '../eventually.js';
import { listKeys, readObject } from '../s3.js';
import { registerTestJob } from '../jobs.js';
import { shipLines } from '../ship-lines.js';
import type { LocalStack } from '../stack/index.js';
import type { RunningJob } from './backend.js';
import { sdkObjectClient } from '../../shared/adapters/s3/sdk-object-client.js';

/** Who the page's user is (the viewer's pages sign in as alice, team ml), and someone else. */
export const PAGE_USER = { owner: 'alice', team: 'ml' } as const;
const SOMEONE_ELSE = { owner: 'bob', team: 'vision' } as const;
export const MILLION = 1_000_000;
const LINES_PER_RANK = 5_000;
const ARCHIVED_LINES = 2_000;
/** How long a fixture may take to become searchable (a 1M-line job on a busy 2-core machine). */
const SEARCHABLE_WITHIN_MS = 15 * 60_000;

/** Reads the logs API as the page's user: `status` and the JSON body. */
export type ApiGet = (route: string) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface StackJobsOptions {
  stack: LocalStack;
  run: string;
  get: ApiGet;
  /** Progress lines (how long shipping and indexing took). */
  log?: (message: string) => void;
}

export class StackJobs {
  readonly #o: StackJobsOptions;
  readonly #spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-viewer-'));
  readonly #running = new Set<Shipper>();

  constructor(o: StackJobsOptions) {
    this.#o = o;
  }

  /** The 1 000 000-line training job (ANSI colours, tqdm bars with `\r`, a logged error and tracebacks, exit code 1). */
  millionLineJob(): Promise<string> {
    const jobId = `viewer-1m-${this.#o.run}`;
    return this.#finished(jobId, async () => {
      const memo = lastLine((n) => trainingLine(n, MILLION));
      await this.#ship(jobId, 'main', MILLION, memo, { exitCode: 1 });
    });
  }

  /**
   * Four ranks of 5 000 lines, merged by capture time; rank-2 exits with 1 after a traceback. Printed
   * in real time over a few seconds (the lines' capture times are when they were written): the
   * merged view's scrollbar is a time between the job's start and end as its markers say.
   */
  multiSourceJob(): Promise<string> {
    const jobId = `viewer-ddp4-${this.#o.run}`;
    return this.#finished(jobId, async () => {
      await Promise.all(
        RANKS.map((source, rank) =>
          this.#ship(
            jobId,
            source,
            LINES_PER_RANK,
            lastLine((i) => multiSourceLine(rank, i)),
            { exitCode: rank === 2 ? 1 : 0, realTime: true },
          ),
        ),
      );
    });
  }

  /**
   * A finished 2 000-line training job whose documents have aged out (docs/archive.md): shipped,
   * indexed and archived, then its documents deleted from the cluster as retention would. The
   * logs API is not asked about it before (a cached view would outlive the deletion).
   */
  async archivedJob(): Promise<string> {
    const jobId = `viewer-archived-${this.#o.run}-${randomUUID().slice(0, 8)}`;
    const { stack } = this.#o;
    await registerTestJob(stack.s3, stack.bucket, jobId, PAGE_USER);
    await this.#ship(
      jobId,
      'main',
      ARCHIVED_LINES,
      lastLine((n) => trainingLine(n, ARCHIVED_LINES)),
      { exitCode: 1 },
    );
    const chunks = (await listKeys(stack.s3, stack.bucket, `chunks/v1/${jobId}/`)).length;
    const stage = stack.info.resources.logsApi.environment['STAGE']!;
    await eventually(
      () => countJobDocuments({ info: stack.info }, `joblogs-chunks-${stage}`, jobId),
      (n) => n === chunks,
      `every chunk of ${jobId} indexed`,
      SEARCHABLE_WITHIN_MS,
    );
    await eventually(
      () => readObject(stack.s3, stack.bucket, archiveKeys(jobId).index).catch(() => undefined),
      (b) => b !== undefined,
      `${jobId}'s archive built`,
      SEARCHABLE_WITHIN_MS,
    );
    await deleteJobDocuments({ info: stack.info }, stage, jobId);
    return jobId;
  }

  /** A job registered to someone else (no lines needed: the refusal comes first). */
  async otherUsersJob(): Promise<string> {
    const jobId = `viewer-other-${this.#o.run}`;
    return registerTestJob(this.#o.stack.s3, this.#o.stack.bucket, jobId, SOMEONE_ELSE);
  }

  /**
   * A running job whose lines go through a shipper kept open (default settings: a chunk at least
   * every second), with 50 training steps printed and readable.
   */
  async runningJob(): Promise<RunningJob> {
    // Backends of one run share the run's name: each running job gets a name of its own.
    const jobId = `viewer-live-${this.#o.run}-${randomUUID().slice(0, 8)}`;
    await registerTestJob(this.#o.stack.s3, this.#o.stack.bucket, jobId, PAGE_USER);
    const shipper = await Shipper.open({
      jobId,
      bucket: this.#o.stack.bucket,
      source: 'main',
      s3: sdkObjectClient(this.#o.stack.s3),
      spoolDir: this.#spoolDir,
    });
    this.#running.add(shipper);
    const print = (text: string, stream: 'stdout' | 'stderr' = 'stdout'): void => shipper.write(stream, Buffer.from(`${text}\n`));
    for (let n = 0; n < 50; n++) {
      const step = stepLine(n);
      print(step.text, step.stream);
    }
    await eventually(
      () => this.#o.get(`/jobs/${jobId}/lines?before=end&limit=1`),
      (a) => a.body?.lines?.[0]?.line === 49,
      `the first 50 lines of ${jobId} readable`,
      60_000,
    );
    return {
      jobId,
      print: async (lines) => lines.forEach((text) => print(text)),
      printLate: async (source, lines, capturedAt) => {
        const { stack, get } = this.#o;
        await shipLines({
          s3: stack.s3,
          bucket: stack.bucket,
          jobId,
          source,
          spoolDir: this.#spoolDir,
          count: lines.length,
          text: (i) => lines[i]!,
          time: (i) => capturedAt + i,
        });
        await eventually(
          () => get(`/jobs/${jobId}/lines?source=${encodeURIComponent(source)}&limit=${lines.length}`),
          (a) => a.body?.lines?.length === lines.length,
          `${source}'s late lines of ${jobId} readable`,
          60_000,
        );
      },
      finish: async (exitCode) => {
        this.#running.delete(shipper);
        await shipper.close({ exitCode });
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#running].map((shipper) => shipper.close({ exitCode: 0 })));
    rmSync(this.#spoolDir, { recursive: true, force: true });
  }

  /** Ships a finished job unless this run has (it is registered), then waits until all of it is searchable. */
  async #finished(jobId: string, ship: () => Promise<void>): Promise<string> {
    const started = Date.now();
    const known = (await this.#o.get(`/jobs/${jobId}`)).status !== 404;
    if (!known) {
      await registerTestJob(this.#o.stack.s3, this.#o.stack.bucket, jobId, PAGE_USER);
      await ship();
      this.#o.log?.(`${jobId}: shipped in ${seconds(started)}`);
    }
    const summary = await eventually(
      () => this.#o.get(`/jobs/${jobId}`),
      // Complete in the cluster: a job whose documents are still on their way may be answered from its archive meanwhile (docs/archive.md).
      (a) => a.body?.status === 'complete' && a.body?.archive === undefined,
      `${jobId} searchable`,
      SEARCHABLE_WITHIN_MS,
    );
    if (!known) this.#o.log?.(`${jobId}: ${summary.body.lineCount} lines, all searchable ${seconds(started)} after the first was printed`);
    return jobId;
  }

  /** Ships one source: with the lines' own capture times, or (`realTime`) paced, captured as written. */
  async #ship(jobId: string, source: string, count: number, line: (n: number) => SyntheticLine, o: { exitCode: number; realTime?: boolean }): Promise<void> {
    await shipLines({
      s3: this.#o.stack.s3,
      bucket: this.#o.stack.bucket,
      jobId,
      source,
      count,
      exitCode: o.exitCode,
      spoolDir: this.#spoolDir,
      text: (n) => line(n).text,
      stream: (n) => line(n).stream,
      end: (n) => (line(n).end === '\r' ? '\r' : '\n'),
      ...(o.realTime ? { pauseEvery: 20, pauseMs: 16 } : { time: (n: number) => line(n).time }),
    });
  }
}

/** `make`, remembering its last answer (shipLines asks for one line's text, stream, time and end in a row). */
function lastLine(make: (n: number) => SyntheticLine): (n: number) => SyntheticLine {
  let at = -1;
  let value: SyntheticLine | undefined;
  return (n) => {
    if (n !== at) [at, value] = [n, make(n)];
    return value!;
  };
}

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;
