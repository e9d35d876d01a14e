/**
 * Plain HTTP to the local Elasticsearch (as test/support/es-documents.ts does: what a user would
 * see, no client-side parsing quirks), plus the freshness prober.
 */
import type { IndexedDocument } from '../local/exactly-once.js';

export interface EsEndpoint {
  url: string;
  username: string;
  password: string;
}

export async function esRequest(es: EsEndpoint, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${es.url}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${es.username}:${es.password}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Documents of the data stream whose job id starts with `jobPrefix` (no refresh: what is searchable now). */
export async function countDocuments(es: EsEndpoint, dataStream: string, jobPrefix: string): Promise<number> {
  const out = await esRequest(es, 'POST', `/${dataStream}/_count?ignore_unavailable=true`, { query: { prefix: { 'labels.job_id': `${jobPrefix}-` } } });
  return out.count as number;
}

const PAGE = 5_000;

/** A job's documents in printed order (source, then `event.sequence`), only the fields the invariant reads. */
export async function jobDocuments(es: EsEndpoint, dataStream: string, jobId: string): Promise<IndexedDocument[]> {
  const all: IndexedDocument[] = [];
  for (let after: unknown[] | undefined; ; ) {
    const out = await esRequest(es, 'POST', `/${dataStream}/_search?ignore_unavailable=true`, {
      size: PAGE,
      query: { term: { 'labels.job_id': jobId } },
      sort: [{ 'joblogs.source': 'asc' }, { 'event.sequence': 'asc' }],
      _source: ['message', 'event.sequence', 'joblogs.source'],
      track_total_hits: false,
      ...(after ? { search_after: after } : {}),
    });
    const hits = out.hits.hits as Array<IndexedDocument & { sort: unknown[] }>;
    all.push(...hits);
    if (hits.length < PAGE) return all;
    after = hits.at(-1)!.sort;
  }
}

/**
 * Empties the load's data stream before a run: deleted where Elasticsearch can; the local
 * (integ-test) distribution has no data-streams module, so there its backing indices are rolled
 * over and the old ones deleted (the same approach as bench/data-stream.ts).
 */
export async function resetDataStream(es: EsEndpoint, dataStream: string): Promise<void> {
  try {
    await esRequest(es, 'DELETE', `/_data_stream/${dataStream}`);
    return;
  } catch (error) {
    if (/HTTP 404/.test(String(error))) return;
    if (!/HTTP 40[05]/.test(String(error))) throw error;
  }
  const backing = (await esRequest(es, 'GET', `/_cat/indices/.ds-${dataStream}-*?h=index&format=json&expand_wildcards=all`)) as Array<{ index: string }>;
  if (backing.length === 0) return;
  const { new_index: fresh } = await esRequest(es, 'POST', `/${dataStream}/_rollover`);
  for (const { index } of backing) if (index !== fresh) await esRequest(es, 'DELETE', `/${index}`);
}

/**
 * Line → searchable, for sampled lines: once a probe line's chunk is uploaded its document id is
 * known, and the prober asks Elasticsearch for every outstanding id every `pollMs` (no explicit
 * refresh, so the index's refresh interval counts). A probe's searchable time is the arrival of
 * the first answer containing it: figures are upper bounds by up to one poll plus one search.
 */
export class FreshnessProber {
  readonly #es: EsEndpoint;
  readonly #dataStream: string;
  readonly #outstanding = new Map<string, number>();
  /** (searchable − printed) of every probe found, with when it was found. */
  readonly found: Array<{ at: number; ms: number }> = [];
  errors = 0;
  lastError: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;

  constructor(es: EsEndpoint, dataStream: string) {
    this.#es = es;
    this.#dataStream = dataStream;
  }

  get outstanding(): number {
    return this.#outstanding.size;
  }

  add(id: string, printedAt: number): void {
    this.#outstanding.set(id, printedAt);
  }

  start(pollMs: number): void {
    const loop = (): void => {
      this.#polling = this.poll().finally(() => {
        if (this.#timer !== undefined) this.#timer = setTimeout(loop, pollMs);
      });
    };
    this.#timer = setTimeout(loop, pollMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }

  async poll(): Promise<void> {
    if (this.#outstanding.size === 0) return;
    // The oldest first: Map keeps insertion order.
    const ids = [...this.#outstanding.keys()].slice(0, 5_000);
    try {
      const out = await esRequest(this.#es, 'POST', `/${this.#dataStream}/_search?ignore_unavailable=true`, {
        size: ids.length,
        _source: false,
        query: { ids: { values: ids } },
      });
      const at = Date.now();
      for (const hit of out.hits.hits as Array<{ _id: string }>) {
        const printedAt = this.#outstanding.get(hit._id);
        if (printedAt === undefined) continue;
        this.#outstanding.delete(hit._id);
        this.found.push({ at, ms: at - printedAt });
      }
    } catch (error) {
      this.errors++;
      this.lastError = String(error);
    }
  }
}
