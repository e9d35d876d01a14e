import { SEQUENCE_STRIDE } from '../contract/constants.js';
import { compareKeys, encodeCursor, type Cursor, type SeenBySource, type SortKey } from './cursor.js';
import type { LinesAnchor } from './params.js';
import type { Frontier } from './query.js';

/** A cursor that says per source how far it was seen (cursor.ts): what a running job's merged tail continues from. */
export interface SeenCursor extends Cursor {
  order: 'merged';
  key: [number, string, number];
  seen: SeenBySource;
}

export function isSeenCursor(cursor: Cursor | 'start' | 'end'): cursor is SeenCursor {
  return typeof cursor === 'object' && cursor.seen !== undefined;
}

/** Whether a cursor has seen a line of merged order (its key names its source and `event.sequence`). */
export function isSeen(cursor: SeenCursor, key: SortKey): boolean {
  const [, source, sequence] = key as [number, string, number];
  const upTo = cursor.seen[source];
  return upTo !== undefined && sequence <= upTo && compareKeys(key, cursor.key) <= 0;
}

/**
 * The query for the lines a cursor has not seen: after its key, or of a source past what it saw of
 * it (a source it does not list: every line).
 */
export function unseenFilter(cursor: SeenCursor): object {
  const [captured, source, sequence] = cursor.key;
  const at = { range: { 'joblogs.captured': { gte: captured, lte: captured, format: 'epoch_millis' } } };
  const afterKey = {
    bool: {
      should: [
        { range: { 'joblogs.captured': { gt: captured, format: 'epoch_millis' } } },
        { bool: { filter: [at, { range: { 'joblogs.source': { gt: source } } }] } },
        { bool: { filter: [at, { term: { 'joblogs.source': source } }, { range: { 'event.sequence': { gt: sequence } } }] } },
      ],
      minimum_should_match: 1,
    },
  };
  const listed = Object.keys(cursor.seen);
  const pastSeen = Object.entries(cursor.seen).map(([s, upTo]) => ({
    bool: { filter: [{ term: { 'joblogs.source': s } }, { range: { 'event.sequence': { gt: upTo } } }] },
  }));
  const unlisted = { bool: { must_not: [{ terms: { 'joblogs.source': listed } }] } };
  return { bool: { should: [afterKey, ...pastSeen, unlisted], minimum_should_match: 1 } };
}

/**
 * The `next` of a page in merged order (`keys`: the page's lines, ascending, at least one). A
 * running job's page says per source what it has seen — every searchable line up to the last one
 * returned — so a chunk indexed late, with lines printed before that one, still comes after it
 * (cursor.ts). A page of late lines alone (all before the cursor's key) keeps the key and moves
 * their sources on. A complete job's page needs the key alone: nothing can arrive late any more.
 */
export function nextMergedCursor(anchor: LinesAnchor, keys: readonly [SortKey, ...SortKey[]], frontier: Frontier | undefined): string {
  const last = keys.at(-1) as [number, string, number];
  const incoming = anchor.kind === 'after' && isSeenCursor(anchor.cursor) ? anchor.cursor : undefined;
  if (incoming && compareKeys(last, incoming.key) <= 0) {
    const seen: Record<string, number> = { ...incoming.seen };
    for (const [, source, sequence] of keys as ReadonlyArray<[number, string, number]>) seen[source] = Math.max(seen[source] ?? -1, sequence);
    return encodeCursor({ order: 'merged', key: incoming.key, seen });
  }
  if (!frontier) return encodeCursor({ order: 'merged', key: last });
  return encodeCursor({ order: 'merged', key: last, seen: seenUpTo(frontier) });
}

/** Per source, the last `event.sequence` of its last searchable chunk (a source with none: not listed). */
function seenUpTo(frontier: Frontier): SeenBySource {
  const seen: Record<string, number> = {};
  for (const [source, chunk] of frontier) if (chunk >= 0) seen[source] = (chunk + 1) * SEQUENCE_STRIDE - 1;
  return seen;
}
