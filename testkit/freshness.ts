/**
 * The one freshness measurement: line printed → searchable in Elasticsearch. Probes are added as
 * they become known (a key, and when printed if known); a `search` asks Elasticsearch for the
 * outstanding ones every `pollMs` (no explicit refresh, so the index's refresh interval counts).
 * A probe's searchable time is the arrival of the first answer containing it: figures are upper
 * bounds by up to one poll plus one search.
 *
 * @example
 * // by document id (the load run: ids are known once a chunk is uploaded)
 * const prober = new FreshnessProber(searchByIds(es, dataStream));
 * prober.add(documentId(prefix, 7), printedAt);
 * prober.start(1000); …; await prober.stop();
 * percentiles(prober.found.map((f) => f.ms));
 */
import { esRequest, type EsTarget } from './es.js';

/** Which outstanding probes an answer contained, with their print time when the probe did not know it. */
export type FreshnessSearch<K> = (outstanding: ReadonlyMap<K, number | undefined>) => Promise<Array<{ key: K; printedAt?: number }>>;

export class FreshnessProber<K = string> {
  readonly #search: FreshnessSearch<K>;
  readonly #outstanding = new Map<K, number | undefined>();
  /** (searchable − printed) of every probe found, with when it was found. */
  readonly found: Array<{ key: K; at: number; ms: number }> = [];
  searches = 0;
  errors = 0;
  lastError: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;

  constructor(search: FreshnessSearch<K>) {
    this.#search = search;
  }

  get outstanding(): number {
    return this.#outstanding.size;
  }

  /** A probe to look for; `printedAt` (epoch ms) may come with the answer instead. */
  add(key: K, printedAt?: number): void {
    this.#outstanding.set(key, printedAt);
  }

  /** Polls now and then every `pollMs` after the previous answer, until {@link stop}. */
  start(pollMs: number): void {
    const loop = (): void => {
      this.#polling = this.poll().finally(() => {
        if (this.#timer !== undefined) this.#timer = setTimeout(loop, pollMs);
      });
    };
    this.#timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }

  async poll(): Promise<void> {
    if (this.#outstanding.size === 0) return;
    try {
      const hits = await this.#search(this.#outstanding);
      const at = Date.now();
      this.searches++;
      for (const { key, printedAt } of hits) {
        if (!this.#outstanding.has(key)) continue;
        const printed = this.#outstanding.get(key) ?? printedAt;
        this.#outstanding.delete(key);
        if (printed !== undefined) this.found.push({ key, at, ms: at - printed });
      }
    } catch (error) {
      this.errors++;
      this.lastError = String(error);
    }
  }
}

/** Probes keyed by document id: asks for the oldest 5 000 outstanding ids at once. */
export function searchByIds(es: EsTarget, dataStream: string): FreshnessSearch<string> {
  return async (outstanding) => {
    // The oldest first: Map keeps insertion order.
    const ids = [...outstanding.keys()].slice(0, 5_000);
    const out = await esRequest(es, 'POST', `/${dataStream}/_search?ignore_unavailable=true`, {
      size: ids.length,
      _source: false,
      query: { ids: { values: ids } },
    });
    return (out.hits.hits as Array<{ _id: string }>).map((hit) => ({ key: hit._id }));
  };
}
