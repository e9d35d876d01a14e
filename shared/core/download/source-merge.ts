import type { SourceItem, SourcePosition } from './source-items.js';

/** Where every source stands; `null` = that source is exhausted. */
export type MergeCursor = Record<string, SourcePosition | null>;

interface Lane {
  source: string;
  batches: AsyncIterator<SourceItem[]>;
  items: SourceItem[];
  at: number;
  done: boolean;
}

const timeOf = (item: SourceItem): number => (item.kind === 'line' ? item.line.time : item.gap.time);

/**
 * Interleaves the sources of a job by capture time (ties: source name order), each source in its
 * own order. Capture times only grow within a source, so this is the order the lines were printed.
 * {@link take} is synchronous while every source has items buffered; {@link fill} reads more.
 *
 * @example
 * for (;;) {
 *   const next = merge.take();
 *   if (next) use(next);
 *   else if (!(await merge.fill())) break;
 * }
 */
export class SourceMerge {
  readonly #lanes: Lane[];

  constructor(sources: ReadonlyArray<{ source: string; items: AsyncIterable<SourceItem[]> }>) {
    this.#lanes = [...sources]
      .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0))
      .map((s) => ({ source: s.source, batches: s.items[Symbol.asyncIterator](), items: [], at: 0, done: false }));
  }

  /** The next item, or undefined when a source needs {@link fill} first (or all are exhausted). */
  take(): { source: string; item: SourceItem } | undefined {
    let best: Lane | undefined;
    let bestTime = 0;
    for (const lane of this.#lanes) {
      if (lane.at < lane.items.length) {
        const t = timeOf(lane.items[lane.at]!);
        if (!best || t < bestTime) {
          best = lane;
          bestTime = t;
        }
      } else if (!lane.done) {
        return undefined;
      }
    }
    if (!best) return undefined;
    return { source: best.source, item: best.items[best.at++]! };
  }

  /** Reads the next batch of every source that has none buffered; false when all are exhausted. */
  async fill(): Promise<boolean> {
    await Promise.all(
      this.#lanes.map(async (lane) => {
        while (lane.at >= lane.items.length && !lane.done) {
          const next = await lane.batches.next();
          if (next.done) lane.done = true;
          else {
            lane.items = next.value;
            lane.at = 0;
          }
        }
      }),
    );
    return this.#lanes.some((lane) => lane.at < lane.items.length);
  }

  /** The position each source would go on from (every head is read first). */
  async cursor(): Promise<MergeCursor> {
    await this.fill();
    const cursor: MergeCursor = {};
    for (const lane of this.#lanes) cursor[lane.source] = lane.at < lane.items.length ? lane.items[lane.at]!.pos : null;
    return cursor;
  }

  /** Stops every source (closes their open chunk streams). */
  async close(): Promise<void> {
    await Promise.all(this.#lanes.map((lane) => lane.batches.return?.(undefined)));
  }
}
