/**
 * The levels a chunk record counts by name: every level the line parser recognises in text, and
 * pino's and Python's (parse-line.ts). A JSON logger may name any other (`"level":"verbose"`):
 * those are counted together as `other_levels`, so a record's fields stay a fixed set (its
 * mapping is not dynamic) and a reader knows when only the lines can say which levels they are.
 */
export const COUNTED_LEVELS = ['trace', 'debug', 'info', 'notice', 'warn', 'warning', 'error', 'critical', 'fatal', 'panic'] as const;

/** The streams a chunk record counts (every document has one of them). */
export const COUNTED_STREAMS = ['stdout', 'stderr'] as const;

/** Documents without a level, as the summary names them. */
export const NO_LEVEL = 'none';

/** A chunk record's `joblogs.counts`: its documents by level and by stream. */
export interface RecordedCounts {
  documents: number;
  /** By level ({@link COUNTED_LEVELS} and {@link NO_LEVEL}); levels with no document are left out. */
  levels: Record<string, number>;
  /** Documents whose level is not one of {@link COUNTED_LEVELS}. */
  other_levels: number;
  streams: Record<string, number>;
}

/** Every level a record counts by name: the named ones and {@link NO_LEVEL} (its mapped fields). */
export const RECORDED_LEVELS: readonly string[] = [...COUNTED_LEVELS, NO_LEVEL];

const KNOWN_LEVELS: ReadonlySet<string> = new Set(RECORDED_LEVELS);

/** Tallies the documents a chunk writes by level and stream, for its record. */
export class DocumentCounts {
  readonly #levels = new Map<string, number>();
  readonly #streams = new Map<string, number>();
  #documents = 0;

  add(level: string | undefined, stream: string): void {
    this.#documents++;
    const name = level ?? NO_LEVEL;
    this.#levels.set(name, (this.#levels.get(name) ?? 0) + 1);
    this.#streams.set(stream, (this.#streams.get(stream) ?? 0) + 1);
  }

  /** The record's counts: named levels apart, any other level in `other_levels`. */
  recorded(): RecordedCounts {
    const levels: Record<string, number> = {};
    let other = 0;
    for (const [level, n] of this.#levels) {
      if (KNOWN_LEVELS.has(level)) levels[level] = n;
      else other += n;
    }
    return { documents: this.#documents, levels, other_levels: other, streams: Object.fromEntries(this.#streams) };
  }
}
