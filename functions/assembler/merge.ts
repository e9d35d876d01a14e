import type { SourceItem, SourcePosition } from './source-reader.js';

/** Where every source stands; `null` = that source is exhausted. */
export type MergeCursor = Record<string, SourcePosition | null>;

interface Lane {
  source: string;
  items: AsyncIterator<SourceItem>;
  head: SourceItem | undefined;
  done: boolean;
}

const timeOf = (item: SourceItem): number => (item.kind === 'line' ? item.line.time : item.gap.time);

/**
 * Interleaves the sources of a job by capture time (ties: source name order), each source in its
 * own order. Capture times only grow within a source, so this is the order the lines were printed.
 */
export class SourceMerge {
  readonly #lanes: Lane[];

  constructor(sources: ReadonlyArray<{ source: string; items: AsyncIterable<SourceItem> }>) {
    this.#lanes = [...sources]
      .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0))
      .map((s) => ({ source: s.source, items: s.items[Symbol.asyncIterator](), head: undefined, done: false }));
  }

  async next(): Promise<{ source: string; item: SourceItem } | undefined> {
    await this.#fill();
    let best: Lane | undefined;
    for (const lane of this.#lanes) {
      if (lane.head && (!best || timeOf(lane.head) < timeOf(best.head!))) best = lane;
    }
    if (!best) return undefined;
    const item = best.head!;
    best.head = undefined;
    return { source: best.source, item };
  }

  /** The position each source would go on from: every head is read first. */
  async cursor(): Promise<MergeCursor> {
    await this.#fill();
    const cursor: MergeCursor = {};
    for (const lane of this.#lanes) cursor[lane.source] = lane.head ? lane.head.pos : null;
    return cursor;
  }

  /** Stops every source (closes their open chunk streams). */
  async close(): Promise<void> {
    await Promise.all(this.#lanes.map((lane) => lane.items.return?.(undefined)));
  }

  async #fill(): Promise<void> {
    await Promise.all(
      this.#lanes.map(async (lane) => {
        if (lane.head || lane.done) return;
        const next = await lane.items.next();
        if (next.done) lane.done = true;
        else lane.head = next.value;
      }),
    );
  }
}
