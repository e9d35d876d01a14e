import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { archiveJob, BUILD_UNDERWAY_MS, type ArchiveOutcome } from '../../../../functions/assembler/archive-job.js';
import { assembleJob } from '../../../../functions/assembler/assemble-job.js';
import type { AssemblerDeps } from '../../../../functions/assembler/deps.js';
import { createLogger } from '../../../../shared/adapters/logger.js';
import { loadAssemblerConfig } from '../../../../shared/config/assembler-config.js';
import { archiveKeys, parseArchiveIndex } from '../../../../shared/core/archive/index.js';
import { encodeFrame, registrationKey, type JobMarker } from '../../../../shared/core/contract/index.js';
import { MemoryBucket } from '../../../../testkit/fakes/memory-bucket.js';
import { discardSink } from '../../../../testkit/index.js';

const config = loadAssemblerConfig({ STAGE: 'test', LOG_BUCKET: 'joblogs-test-logs', ASSEMBLE_QUEUE_URL: 'https://sqs.invalid/q' });
const T = Date.parse('2026-11-25T10:00:00.000Z');
const NOW = Date.parse('2026-11-25T11:00:00.000Z');
const JOB = 'job-big';
const SOURCES = { main: 7, 'rank-1': 5 } as const;
const LINES_PER_CHUNK = 1000;

/** A line of a training log: steps, a warning now and then, an error-level JSON line, a traceback across a chunk boundary. */
function text(source: string, n: number): string {
  if (n % 997 === 0) return JSON.stringify({ level: 'error', msg: `${source} lost its peer at ${n}` });
  if (n % 250 === 0) return `WARNING ${source} slow step ${n}`;
  if (n === 1998) return 'Traceback (most recent call last):';
  if (n === 1999 || n === 2000) return `  File "train.py", line ${n}, in step`;
  if (n === 2001) return 'RuntimeError: CUDA out of memory';
  return `${source} step ${n} loss=${(1 / (n + 1)).toFixed(6)}`;
}

/** A finished job of two sources whose chunks interleave in time, in the bucket. */
function givenBigJob(): MemoryBucket {
  const bucket = new MemoryBucket();
  bucket.register(JOB, 'alice', 'vision');
  for (const [source, chunks] of Object.entries(SOURCES)) {
    const lines = chunks * LINES_PER_CHUNK;
    const marker: JobMarker = {
      version: 1,
      jobId: JOB,
      source,
      status: 'final',
      lastSeq: chunks - 1,
      lineCount: lines,
      startedAt: new Date(T).toISOString(),
      endedAt: new Date(T + lines * 10).toISOString(),
    };
    bucket.putMarker(marker);
    for (let seq = 0; seq < chunks; seq++) {
      const frames = Array.from({ length: LINES_PER_CHUNK }, (_, i) => {
        const line = seq * LINES_PER_CHUNK + i;
        return `${encodeFrame({ time: T + line * 10 + (source === 'main' ? 0 : 3), stream: 'stdout', line, bytes: Buffer.from(text(source, line)), terminator: '\n' })}\n`;
      });
      bucket.put(`chunks/v1/${JOB}/${source}/${String(seq).padStart(10, '0')}.log.gz`, gzipSync(frames.join('')), { format: 'framed-v1' });
    }
  }
  return bucket;
}

/** The assembler's deps over the bucket; parts of 16 KiB, so a job of a few members spans many parts. */
function depsOf(bucket: MemoryBucket): AssemblerDeps {
  const small = { ...config, partBytes: 16 * 1024 };
  return {
    config: small,
    ...bucket.assemblerAdapters(small),
    queue: { send: async () => undefined },
    logger: createLogger('test', discardSink()),
    now: () => NOW,
  };
}

const keys = archiveKeys(JOB);
const archiveOf = (bucket: MemoryBucket) => ({ records: bucket.get(keys.records)!.body, index: bucket.get(keys.index)!.body.toString('utf8') });
const LATER = NOW + 3_600_000;

/** Builds the archive with a deadline that has passed: every invocation stops after its first part. */
async function buildInSteps(bucket: MemoryBucket): Promise<ArchiveOutcome[]> {
  const deps = depsOf(bucket);
  const record = await deps.jobs.readJob(JOB);
  const outcomes = [await archiveJob(JOB, record, deps, NOW)];
  for (let last = outcomes[0]!; last.kind === 'continued'; outcomes.push(last))
    last = await archiveJob(JOB, record, deps, NOW, { continuation: last.continuation });
  return outcomes;
}

/** The big job in a bucket, and the first invocation of its archive build, stopped after a part. */
async function aStoppedBuild() {
  const bucket = givenBigJob();
  const deps = depsOf(bucket);
  const record = await deps.jobs.readJob(JOB);
  const first = await archiveJob(JOB, record, deps, NOW);
  if (first.kind !== 'continued') throw new Error(`expected a continuation, got ${first.kind}`);
  return { bucket, deps, record, first };
}

describe('an archive build too big for one invocation', () => {
  it('stops after a part, goes on from its saved state, and ends with the same bytes as a build in one go', async () => {
    const once = givenBigJob();
    const deps = depsOf(once);
    expect(await archiveJob(JOB, await deps.jobs.readJob(JOB), deps, LATER)).toMatchObject({ kind: 'archived', invocations: 1 });
    const whole = archiveOf(once);

    const stepped = givenBigJob();
    const outcomes = await buildInSteps(stepped);
    const continued = outcomes.filter((o) => o.kind === 'continued');
    expect(continued.length).toBeGreaterThanOrEqual(3);
    continued.forEach((o, i) => expect(o).toMatchObject({ parts: i + 1, continuation: { invocation: i + 2 } }));
    expect(outcomes.at(-1)).toMatchObject({ kind: 'archived', invocations: outcomes.length });
    const built = archiveOf(stepped);
    expect(built.records.equals(whole.records)).toBe(true);
    expect(built.index).toBe(whole.index);

    const index = parseArchiveIndex(built.index, JOB);
    expect(index.records).toBeGreaterThan(0);
    expect(index.progress).toEqual([
      { source: 'main', chunks: 7, maxSeq: 6, frontier: 6, lines: 7000, lastCaptured: expect.any(Number) },
      { source: 'rank-1', chunks: 5, maxSeq: 4, frontier: 4, lines: 5000, lastCaptured: expect.any(Number) },
    ]);
    // The JSON error lines: every 997th of each source (8 of main's 7 000, 6 of rank-1's 5 000), in merged order.
    expect(index.errors.positions.map((p) => `${p.source}:${p.line}`)).toEqual([
      ...[0, 997, 1994, 2991, 3988, 4985].flatMap((n) => [`main:${n}`, `rank-1:${n}`]),
      'main:5982',
      'main:6979',
    ]);
    // Each with where it is beside its cursor: the viewer opens it under filters by them.
    for (const p of index.errors.positions) expect(p).toMatchObject({ level: 'error', stream: 'stdout', captured: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it('ignores a continuation whose build was finished, or replaced by another build since', async () => {
    const { bucket, deps, record, first } = await aStoppedBuild();
    // Another build of the same job (a second archive request) starts a new upload and saves its own state.
    const other = await archiveJob(JOB, record, deps, NOW);
    expect(other.kind).toBe('continued');
    expect(await archiveJob(JOB, record, deps, NOW, { continuation: first.continuation })).toEqual({ kind: 'obsolete' });

    const outcomes = await buildInSteps(bucket);
    const done = outcomes.at(-1)!;
    expect(done.kind).toBe('archived');
    // A duplicate delivery of the last continuation, after the build finished: its upload is gone.
    const stale = outcomes.at(-2);
    if (stale?.kind !== 'continued') throw new Error('expected the build to continue at least once');
    expect(await archiveJob(JOB, record, deps, NOW, { continuation: stale.continuation })).toEqual({ kind: 'obsolete' });
    expect(parseArchiveIndex(archiveOf(bucket).index, JOB).records).toBeGreaterThan(0);
  });
});

describe("the logs API's request for the archive of a job that aged out without one (ifMissing)", () => {
  it('builds it when there is none, and drops it while the archive exists', async () => {
    const bucket = givenBigJob();
    const deps = depsOf(bucket);
    const record = await deps.jobs.readJob(JOB);
    expect(await archiveJob(JOB, record, deps, LATER, { ifMissing: true })).toMatchObject({ kind: 'archived' });
    const built = archiveOf(bucket);
    expect(await archiveJob(JOB, record, deps, LATER, { ifMissing: true })).toEqual({ kind: 'underway' });
    expect(archiveOf(bucket).records).toBe(built.records);
  });

  it('drops it while a build saved its state lately, and starts over once that build has been silent too long', async () => {
    const { bucket, deps, record } = await aStoppedBuild();
    expect(await archiveJob(JOB, record, { ...deps, now: () => NOW + BUILD_UNDERWAY_MS - 1 }, LATER, { ifMissing: true })).toEqual({ kind: 'underway' });
    // The continuation was lost (its message dead-lettered): after a while the request builds the archive anew.
    expect(await archiveJob(JOB, record, { ...deps, now: () => NOW + BUILD_UNDERWAY_MS }, LATER, { ifMissing: true })).toMatchObject({ kind: 'archived' });
    expect(parseArchiveIndex(archiveOf(bucket).index, JOB).progress.map((p) => p.lines)).toEqual([7000, 5000]);
  });

  it('builds anew over a saved state it cannot read, while a continuation from that state is dead-lettered with the reason', async () => {
    const { bucket, deps, record, first } = await aStoppedBuild();
    bucket.put(keys.resume, '{"version":1,"savedAt":"not a time"}');
    await expect(archiveJob(JOB, record, deps, NOW, { continuation: first.continuation })).rejects.toThrow(/archive build state of job job-big is invalid/);
    expect(await archiveJob(JOB, record, deps, LATER, { ifMissing: true })).toMatchObject({ kind: 'archived' });
  });

  it('is not what the assembler sends after a download file: that request rebuilds, over a build under way or an archive', async () => {
    const { deps, record } = await aStoppedBuild();
    expect(await archiveJob(JOB, record, deps, LATER)).toMatchObject({ kind: 'archived' });
    expect(await archiveJob(JOB, record, deps, LATER)).toMatchObject({ kind: 'archived' });
  });
});

describe('a purge while the job is being assembled or archived', () => {
  /** Deps whose chunk reads delete the job's registration after the first, as `joblogs admin purge` does first. */
  function purgedDuringTheBuild(bucket: MemoryBucket): AssemblerDeps {
    const deps = depsOf(bucket);
    let reads = 0;
    const open = deps.chunks.open;
    return {
      ...deps,
      chunks: {
        ...deps.chunks,
        open: async (...args) => {
          if (++reads === 2) bucket.objects.delete(registrationKey(JOB));
          return open(...args);
        },
      },
    };
  }
  const leftovers = (bucket: MemoryBucket) => [...bucket.objects.keys()].filter((k) => k.startsWith('downloads/'));

  it('writes no archive back, and leaves no state to go on from', async () => {
    const bucket = givenBigJob();
    const deps = purgedDuringTheBuild(bucket);
    const record = await deps.jobs.readJob(JOB);
    expect(await archiveJob(JOB, record, deps, LATER)).toEqual({ kind: 'unregistered' });
    expect(await archiveJob(JOB, record, deps, NOW)).toEqual({ kind: 'unregistered' });
    expect(leftovers(bucket)).toEqual([]);
  });

  it('writes no download file back, in one invocation or when it would stop after a part', async () => {
    const bucket = givenBigJob();
    const deps = purgedDuringTheBuild(bucket);
    const record = await deps.jobs.readJob(JOB);
    expect(await assembleJob({ jobId: JOB }, record, deps, LATER)).toEqual({ kind: 'unregistered' });
    expect(await assembleJob({ jobId: JOB }, record, { ...deps, config: { ...deps.config, memberBytes: 64 * 1024 } }, NOW)).toEqual({
      kind: 'unregistered',
    });
    expect(leftovers(bucket)).toEqual([]);
  });
});
