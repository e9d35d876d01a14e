/**
 * The reference server's jobs: every line of a job in one merged, printed order (capture time,
 * ties by source name), in columns so a 1 000 000-line job costs tens of MB, not hundreds.
 * Empty lines take a line number but are not stored (the API does not return them).
 */
import { parseLogLine } from '../../shared/core/ingest/parse-line.js';
import type { Stream, Terminator } from '../src/types.js';

/** The levels as the indexer writes them (eight: three bits of a line's code). */
export const LEVELS = ['none', 'debug', 'info', 'warn', 'warning', 'error', 'critical', 'fatal'] as const;
const ERROR_LEVELS: readonly Level[] = ['error', 'critical', 'fatal'];
export type Level = (typeof LEVELS)[number];
const TERMINATORS: Terminator[] = ['\n', '\r\n', '\r', ''];
const STREAMS: Stream[] = ['stdout', 'stderr'];

export interface PrintedLine {
  source: string;
  /** The line's number in its source; `undefined` = the next one. */
  line?: number;
  text: string;
  time?: number;
  stream?: Stream;
  /** Default: what the indexer detects in the text (shared/core/ingest/parse-line.ts). */
  level?: Level;
  end?: Terminator;
  span?: number;
  redraws?: string[];
}

/** One stored line, as the routes read it back. */
export interface StoredLine {
  position: number;
  source: string;
  line: number;
  seq: number;
  time: number;
  stream: Stream;
  level: Level;
  text: string;
  end: Terminator;
  span: number;
  redraws: string[] | undefined;
}

interface SourceState {
  name: string;
  nextLine: number;
  final: boolean;
  exitCode: number | null;
}

export class StoredJob {
  readonly sources = new Map<string, SourceState>();
  readonly levelCounts = Object.fromEntries(LEVELS.map((level) => [level, 0])) as Record<Level, number>;
  readonly errorPositions: number[] = [];
  exitCode: number | null = null;
  endedAt: number | null = null;
  /** Served as from the archive (docs/archive.md): the summary says so. */
  archived = false;
  private readonly texts: string[] = [];
  private readonly times: number[] = [];
  private readonly sourceOf: number[] = [];
  private readonly lineOf: number[] = [];
  private readonly codes: number[] = []; // stream | level << 1 | end << 4
  private readonly spans = new Map<number, number>();
  private readonly redrawStates = new Map<number, string[]>();
  private readonly sourceNames: string[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly jobId: string,
    readonly owner: string,
    readonly team: string,
    readonly startedAt: number,
    sourceNames: string[],
  ) {
    for (const name of [...sourceNames].sort()) this.addSource(name);
  }

  get size(): number {
    return this.texts.length;
  }

  get status(): 'running' | 'complete' {
    return [...this.sources.values()].every((s) => s.final) ? 'complete' : 'running';
  }

  /** Appends one printed line (in capture order) and wakes long polls. */
  print(printed: PrintedLine): void {
    const source = this.sources.get(printed.source) ?? this.addSource(printed.source);
    const line = printed.line ?? source.nextLine;
    source.nextLine = line + (printed.span ?? 1);
    const position = this.texts.length;
    this.texts.push(printed.text);
    this.times.push(Math.max(printed.time ?? Date.now(), this.times[position - 1] ?? 0));
    this.sourceOf.push(this.sourceNames.indexOf(source.name));
    this.lineOf.push(line);
    const level = printed.level ?? detectedLevel(printed.text);
    this.codes.push(STREAMS.indexOf(printed.stream ?? 'stdout') | (LEVELS.indexOf(level) << 1) | (TERMINATORS.indexOf(printed.end ?? '\n') << 4));
    if ((printed.span ?? 1) > 1) this.spans.set(position, printed.span!);
    if (printed.redraws?.length) this.redrawStates.set(position, printed.redraws);
    this.levelCounts[level]++;
    if (ERROR_LEVELS.includes(level)) this.errorPositions.push(position);
  }

  /** Counts an empty line: it takes a number in its source and is never returned. */
  skipEmpty(sourceName: string): void {
    const source = this.sources.get(sourceName) ?? this.addSource(sourceName);
    source.nextLine++;
  }

  /** Writes a source's final marker; the job is complete once every source has one. */
  finish(sourceName: string, exitCode: number, time = Date.now()): void {
    const source = this.sources.get(sourceName) ?? this.addSource(sourceName);
    source.final = true;
    source.exitCode = exitCode;
    if (this.status === 'complete') {
      this.exitCode = Math.max(...[...this.sources.values()].map((s) => s.exitCode ?? 0));
      this.endedAt = time;
    }
  }

  /** Lets waiting long polls look again (call after a batch of prints or a finish). */
  wake(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Resolves on the next `wake()` or after `ms`. */
  waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  at(position: number): StoredLine {
    const code = this.codes[position]!;
    return {
      position,
      source: this.sourceNames[this.sourceOf[position]!]!,
      line: this.lineOf[position]!,
      seq: this.lineOf[position]!,
      time: this.times[position]!,
      stream: STREAMS[code & 1]!,
      level: LEVELS[(code >> 1) & 7]!,
      text: this.texts[position]!,
      end: TERMINATORS[(code >> 4) & 3]!,
      span: this.spans.get(position) ?? 1,
      redraws: this.redrawStates.get(position),
    };
  }

  /** A cheap filter test on the columns (no object built). */
  matches(position: number, filter: LineFilter): boolean {
    const code = this.codes[position]!;
    if (filter.sources && !filter.sources.has(this.sourceOf[position]!)) return false;
    if (filter.streams && !filter.streams.has(code & 1)) return false;
    if (filter.levels && !filter.levels.has((code >> 1) & 7)) return false;
    return true;
  }

  text(position: number): string {
    return this.texts[position]!;
  }

  /** The first position at or after which line `line` of `source` is (binary search: numbers grow per source). */
  positionOfLine(source: string, line: number): number {
    const index = this.sourceNames.indexOf(source);
    if (this.sourceNames.length === 1) return lowerBound(this.texts.length, (p) => this.lineOf[p]! >= line);
    for (let p = 0; p < this.texts.length; p++) if (this.sourceOf[p] === index && this.lineOf[p]! >= line) return p;
    return this.texts.length;
  }

  /** The first position captured at or after `time`. */
  positionOfTime(time: number): number {
    return lowerBound(this.texts.length, (p) => this.times[p]! >= time);
  }

  /** Compiles filter lists into column tests; unknown names match nothing. */
  compileFilter(filter: { source?: string[]; stream?: string[]; level?: string[] }): LineFilter {
    const compile = (values: string[] | undefined, names: readonly string[]): Set<number> | undefined =>
      values?.length ? new Set(values.map((v) => names.indexOf(v))) : undefined;
    return { sources: compile(filter.source, this.sourceNames), streams: compile(filter.stream, STREAMS), levels: compile(filter.level, LEVELS) };
  }

  private addSource(name: string): SourceState {
    const state: SourceState = { name, nextLine: 0, final: false, exitCode: null };
    this.sources.set(name, state);
    this.sourceNames.push(name);
    return state;
  }
}

/**
 * The level the indexer gives a line (a JSON logger's level field, or a level word near the start
 * of plain text, colour codes around it or not), as it writes it, in the reference's eight: `panic`
 * and `trace` are folded into `fatal` and `debug`, `notice` and other words into `info`.
 */
export function detectedLevel(text: string): Level {
  const level = parseLogLine(text).level;
  if (level === undefined) return 'none';
  if (level === 'panic') return 'fatal';
  if (level === 'trace') return 'debug';
  return (LEVELS as readonly string[]).includes(level) ? (level as Level) : 'info';
}

export interface LineFilter {
  sources: Set<number> | undefined;
  streams: Set<number> | undefined;
  levels: Set<number> | undefined;
}

function lowerBound(size: number, isAtOrAfter: (position: number) => boolean): number {
  let low = 0;
  let high = size;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (isAtOrAfter(mid)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Every job the reference server knows, by id. */
export class JobStore {
  private readonly jobs = new Map<string, StoredJob>();

  create(init: { jobId: string; owner?: string; team?: string; sources?: string[]; startedAt?: number }): StoredJob {
    const job = new StoredJob(init.jobId, init.owner ?? 'alice', init.team ?? 'ml', init.startedAt ?? Date.now(), init.sources ?? ['main']);
    this.jobs.set(init.jobId, job);
    return job;
  }

  get(jobId: string): StoredJob | undefined {
    return this.jobs.get(jobId);
  }
}
