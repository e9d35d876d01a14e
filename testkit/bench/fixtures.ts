/**
 * The benchmarks' inputs, generated from the synthetic log on first use and cached under
 * `.local/bench/` (the file names carry the generator's version, so a changed mix is rebuilt).
 *
 * @example
 * const file = await cpuFixture(100);                 // ≥ 100 MiB of log, one gzip file
 * const dir = chunkFixture({ mb: 24, count: 4, seed: 7 }); chunkFile(dir, 0);
 * const { file, lines } = await printerFixture(200);  // uncompressed, with its line count
 * const framed = await framedCpuFixture(100);         // the same log as the shipper uploads it (framed-v1)
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { Framer, ShipperDefaults } from '../../shared/shipper/index.js';
import { GENERATOR_VERSION, gzipChunks, MB, syntheticLog, writeGzipLog } from '../synthetic-log.js';
import { BENCH_DIR } from './report.js';
import { trainingLine } from '../../viewer/dev/synthetic-jobs.js';

/** Stable short hash of a fixture's parameters, for cache file names. */
export function fixtureTag(parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 10);
}

/** The cached ≥`mb` MiB gzip fixture of the CPU benchmark. */
export async function cpuFixture(mb: number, seed = 42): Promise<string> {
  const file = path.join(BENCH_DIR, `train-${mb}mb-seed${seed}-v${GENERATOR_VERSION}.log.gz`);
  if (!existsSync(file)) {
    const started = performance.now();
    console.error(`[bench] generating ${file}`);
    await writeGzipLog(file, { seed, totalBytes: mb * MB });
    console.error(`[bench] generated in ${((performance.now() - started) / 1000).toFixed(1)} s (${(statSync(file).size / MB).toFixed(1)} MiB gzip)`);
  }
  return file;
}

/** Printed bytes per millisecond of capture time in {@link framedCpuFixture}: a chatty job (~1 MB/s). */
const FRAMED_BYTES_PER_MS = 1000;

/**
 * The CPU benchmark's log as the joblogs shipper uploads it: framed by its own {@link Framer}
 * (`framed-v1`, event marks, 1 MiB chunks; each 64 KiB read stamped with a capture time 1 ms per
 * kB printed so far, as the shipper stamps each read of a chatty job), every chunk's gzip member
 * in one file — one input the indexer reads as a single chunk. Everything is printed on stdout.
 * Cached next to the raw fixture it is made from, under a name that carries {@link framingTag}:
 * a framer that writes other bytes makes a new fixture, never reads an old one.
 */
export async function framedCpuFixture(mb: number, seed = 42): Promise<string> {
  const raw = await cpuFixture(mb, seed);
  const file = raw.replace(/\.log\.gz$/, `.framed-${await framingTag()}.log.gz`);
  if (existsSync(file)) return file;
  console.error(`[bench] framing ${raw} as the shipper does into ${file}`);
  const out = createWriteStream(`${file}.partial`);
  await frameAsTheShipper(createReadStream(raw).pipe(createGunzip()) as AsyncIterable<Buffer>, (body) => out.write(body));
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  renameSync(`${file}.partial`, file);
  return file;
}

/** What the current framing writes, in 10 hex digits: the hash of the shipper's gzip level and of the chunks of frames it makes of a 512 KiB sample of the synthetic log. */
export async function framingTag(framing: Partial<FramingSettings> = {}): Promise<string> {
  // The level too: it changes the chunks' bytes (what the indexer gunzips), not their frames.
  const hash = createHash('sha256').update(`gzip level ${ShipperDefaults.gzipLevel}\n`);
  async function* sample() {
    for (const piece of syntheticLog({ seed: 7, totalBytes: 512 * 1024, pieceBytes: 64 * 1024 })) yield Buffer.from(piece);
  }
  await frameAsTheShipper(
    sample(),
    (body) => {
      const frames = gunzipSync(body);
      // Each chunk's length too: the same frames cut into other chunks are another framing.
      hash.update(`${frames.length}\n`).update(frames);
    },
    framing,
  );
  return hash.digest('hex').slice(0, 10);
}

/** The shipper's framing the fixture is made with (its defaults, sealed by size only). */
interface FramingSettings {
  maxChunkBytes: number;
  maxLineBytes: number;
}

/** Frames `input` (printed on stdout) with the shipper's own {@link Framer}, handing each sealed chunk's gzip body to `onBody`. */
async function frameAsTheShipper(input: AsyncIterable<Buffer>, onBody: (body: Buffer) => void, framing: Partial<FramingSettings> = {}): Promise<void> {
  let printed = 0;
  const start = Date.UTC(2026, 10, 25, 10, 0, 0);
  const { enabled: _, ...events } = ShipperDefaults.multiline;
  const failures: Error[] = [];
  let gzipped: (() => void) | undefined;
  const framer = new Framer({
    maxChunkBytes: framing.maxChunkBytes ?? ShipperDefaults.maxChunkBytes,
    // Sealed by size only (a day: within setTimeout's range, never reached).
    flushIntervalMs: 24 * 60 * 60 * 1000,
    maxLineBytes: framing.maxLineBytes ?? ShipperDefaults.maxLineBytes,
    gzipLevel: ShipperDefaults.gzipLevel,
    firstLine: 0,
    events,
    onChunk: (chunk) => onBody(chunk.body),
    onError: (error) => failures.push(error),
    onGzipped: () => gzipped?.(),
    now: () => start + Math.floor(printed / FRAMED_BYTES_PER_MS),
  });
  for await (const data of input) {
    framer.write('stdout', data, start + Math.floor(printed / FRAMED_BYTES_PER_MS));
    printed += data.length;
    // Wait for the gzips of sealed chunks before framing more: the backlog stays a few chunks.
    while (framer.gzipBacklog > 8 * ShipperDefaults.maxChunkBytes) await new Promise<void>((resolve) => (gzipped = resolve));
  }
  await framer.end();
  if (failures.length > 0) throw failures[0]!;
}

/** Chunk `seq` of a chunk fixture directory. */
export function chunkFile(dir: string, seq: number): string {
  return path.join(dir, `${String(seq).padStart(10, '0')}.log.gz`);
}

/** `count` gzip chunks of `mb` MiB of log (cut at line boundaries, as a shipper uploads them), one file each, cached. */
export function chunkFixture(o: { mb: number; count: number; seed: number; dir?: string }): string {
  const dir = o.dir ?? path.join(BENCH_DIR, `e2e-${o.mb}mb-${o.count}chunks-${fixtureTag([o.seed, GENERATOR_VERSION])}`);
  if (existsSync(chunkFile(dir, o.count - 1))) return dir;
  console.error(`[bench] generating ${o.count} chunks (${o.mb} MiB of log) in ${dir}`);
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  gzipChunks({ seed: o.seed, totalBytes: o.mb * MB, count: o.count }).forEach((body, seq) => writeFileSync(chunkFile(staging, seq), body));
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}

/**
 * `count` gzip chunks of the viewer's synthetic training job (viewer/dev/synthetic-jobs.ts: green
 * `INFO` step lines, coloured epoch headers and warnings, tqdm bars, tracebacks) up to `mb` MiB,
 * cut at line boundaries, cached under a hash of their text (gzipped only when not cached yet): a
 * log whose lines mostly carry colour codes, as coloured loggers print them.
 */
export function colouredChunkFixture(o: { mb: number; count: number }): string {
  const perChunk = Math.ceil((o.mb * MB) / o.count);
  const texts: string[] = [];
  const hash = createHash('sha256');
  let current: string[] = [];
  let size = 0;
  for (let n = 0; texts.length < o.count; n++) {
    const line = trainingLine(n, Number.MAX_SAFE_INTEGER);
    const printed = `${line.text}${line.end}`;
    current.push(printed);
    size += Buffer.byteLength(printed);
    if (size >= perChunk && line.end === '\n') {
      texts.push(current.join(''));
      hash.update(texts.at(-1)!);
      current = [];
      size = 0;
    }
  }
  const dir = path.join(BENCH_DIR, `coloured-${o.mb}mb-${o.count}chunks-${hash.digest('hex').slice(0, 10)}`);
  if (existsSync(chunkFile(dir, o.count - 1))) return dir;
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  texts.forEach((text, seq) => writeFileSync(chunkFile(staging, seq), gzipSync(text, { level: 6 })));
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}

export interface PrinterFixture {
  file: string;
  bytes: number;
  /** Lines the shipper must capture: `\n`, `\r\n` and lone `\r` each end one; plus an unterminated tail. */
  lines: number;
}

/** Lines as the shipper (and the chunk contract) count them. */
function countShipperLines(buf: Buffer, carry: { cr: boolean; tail: boolean }): number {
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (carry.cr) {
      carry.cr = false;
      n++;
      if (b === 0x0a) {
        carry.tail = false;
        continue;
      }
    }
    if (b === 0x0a) {
      n++;
      carry.tail = false;
    } else if (b === 0x0d) {
      carry.cr = true;
      carry.tail = false;
    } else carry.tail = true;
  }
  return n;
}

/** The uncompressed synthetic log the shipper benchmarks' printer dumps, cached with its line count. */
export async function printerFixture(mb: number, seed = 42): Promise<PrinterFixture> {
  const file = path.join(BENCH_DIR, `print-${mb}mb-seed${seed}-v${GENERATOR_VERSION}.log`);
  const meta = `${file}.json`;
  if (!existsSync(meta)) {
    console.error(`[bench] generating ${file}`);
    mkdirSync(BENCH_DIR, { recursive: true });
    await pipeline(Readable.from(syntheticLog({ seed, totalBytes: mb * MB })), createWriteStream(`${file}.partial`));
    renameSync(`${file}.partial`, file);
    const body = readFileSync(file);
    const carry = { cr: false, tail: false };
    let lines = countShipperLines(body, carry);
    if (carry.cr || carry.tail) lines++;
    writeFileSync(meta, JSON.stringify({ bytes: body.length, lines }));
  }
  const { bytes, lines } = JSON.parse(readFileSync(meta, 'utf8')) as { bytes: number; lines: number };
  return { file, bytes, lines };
}
