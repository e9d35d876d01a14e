import { describe, expect, it } from 'vitest';
import { SEQUENCE_STRIDE } from '../../../../../shared/core/contract/index.js';
import {
  compareKeys,
  decodeCursor,
  encodeCursor,
  isSeen,
  isSeenCursor,
  nextMergedCursor,
  unseenFilter,
  type Cursor,
  type LinesAnchor,
  type SortKey,
} from '../../../../../shared/core/logs/index.js';
import { seededRandom } from '../../../../../testkit/index.js';

type Key = [number, string, number];

/**
 * A job of several sources printing at once, whose chunks are indexed in a random order, tailed in
 * merged order with pages of a random size. The cluster is a model: a page is the first `limit`
 * searchable lines the cursor has not seen (after its key, for a cursor that lists nothing).
 */
function tailJob(seed: number, next: (anchor: LinesAnchor, keys: [SortKey, ...SortKey[]], frontier: Map<string, number> | undefined) => string) {
  const random = seededRandom(seed);
  const sources = ['main', 'rank-1', 'rank-2'];
  const CHUNKS = 12;
  const lines: Array<{ key: Key; chunk: number }> = [];
  for (const source of sources)
    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      const count = 1 + Math.floor(random() * 6);
      // Sources print at the same times: each chunk covers about one second.
      for (let p = 0; p < count; p++) lines.push({ key: [1_000 * chunk + Math.floor(random() * 1_000), source, chunk * SEQUENCE_STRIDE + p], chunk });
    }
  // Within a source, capture times never go back.
  for (const source of sources) {
    const own = lines.filter((l) => l.key[1] === source).sort((a, b) => a.key[2] - b.key[2]);
    const times = own.map((l) => l.key[0]).sort((a, b) => a - b);
    own.forEach((l, i) => {
      l.key[0] = times[i]!;
    });
  }
  const indexed = new Set<string>();
  const frontier = () => new Map(sources.map((s) => [s, firstGap(s) - 1]));
  const firstGap = (s: string) => {
    let c = 0;
    while (indexed.has(`${s}/${c}`)) c++;
    return c;
  };
  const got: Key[] = [];
  let anchor: LinesAnchor = { kind: 'after', cursor: 'start' };
  for (let step = 0; step < 10_000; step++) {
    // A few chunks get indexed, in any order across and within sources.
    for (let n = Math.floor(random() * 3); n > 0; n--) indexed.add(`${sources[Math.floor(random() * 3)]}/${Math.floor(random() * CHUNKS)}`);
    const complete = sources.every((s) => firstGap(s) === CHUNKS);
    const f = frontier();
    const cursor: Cursor | 'start' = anchor.kind === 'after' ? anchor.cursor : 'start';
    const visible = lines.filter((l) => l.chunk <= f.get(l.key[1])!).map((l) => l.key);
    const unseen: Key[] = visible.filter((k) => (cursor === 'start' ? true : isSeenCursor(cursor) ? !isSeen(cursor, k) : compareKeys(k, cursor.key) > 0));
    const page: Key[] = unseen.sort(compareKeys).slice(0, 1 + Math.floor(random() * 8));
    got.push(...page);
    // An empty page continues from where it was asked (the API's `next` is then the request's `after`).
    const [first, ...rest] = page;
    if (first !== undefined) anchor = { kind: 'after', cursor: decodeCursor(next(anchor, [first, ...rest], complete ? undefined : f), 'after') };
    if (complete && page.length === 0) break;
  }
  const ids = got.map((k) => `${k[1]}/${k[2]}`);
  return { printed: lines.length, got: ids.length, distinct: new Set(ids).size };
}

describe('the merged tail of a running job', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('gets every line once though chunks are indexed in any order (seed %i)', (seed) => {
    const run = tailJob(seed, nextMergedCursor);
    expect(run).toEqual({ printed: run.printed, got: run.printed, distinct: run.printed });
  });

  it('would lose the lines of chunks indexed late with the last line as the cursor', () => {
    const lost = [1, 2, 3, 4].map((seed) => tailJob(seed, (_anchor, keys) => encodeCursor({ order: 'merged', key: keys.at(-1)! })));
    expect(lost.some((run) => run.got < run.printed)).toBe(true);
  });

  it('lists each source with a searchable chunk up to the end of that chunk', () => {
    const text = nextMergedCursor(
      { kind: 'after', cursor: 'start' },
      [[5, 'main', 3]],
      new Map([
        ['main', 0],
        ['rank-1', 2],
        ['rank-2', -1],
      ]),
    );
    expect(decodeCursor(text, 'after')).toEqual({
      order: 'merged',
      key: [5, 'main', 3],
      seen: { main: SEQUENCE_STRIDE - 1, 'rank-1': 3 * SEQUENCE_STRIDE - 1 },
    });
  });

  it('asks the cluster for lines after the key, past each listed source, and of sources not listed', () => {
    const cursor = { order: 'merged' as const, key: [5, 'main', 3] as Key, seen: { main: 9 } };
    const filter = unseenFilter(cursor) as { bool: { should: object[] } };
    expect(filter.bool.should.slice(1)).toEqual([
      { bool: { filter: [{ term: { 'joblogs.source': 'main' } }, { range: { 'event.sequence': { gt: 9 } } }] } },
      { bool: { must_not: [{ terms: { 'joblogs.source': ['main'] } }] } },
    ]);
  });
});
