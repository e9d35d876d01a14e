/**
 * Search within the job (`GET /jobs/{jobId}/search`): the matches, paged in as the person steps
 * through them, and which one is current. Stepping wraps around at either end.
 */
import type { LogsApi } from './api.js';
import { queryTerms } from './query.js';
import type { Filters, SearchMatch } from './types.js';

const PAGE = 100;
/** Pages without a match followed in one go (an archive's search reads at most ~8 MB per page). */
const MAX_EMPTY_PAGES = 64;

export class SearchState {
  readonly terms: string[];
  total = 0;
  totalExact = true;
  index = -1;
  private matches: SearchMatch[] = [];
  private next: string | null = null;

  private constructor(
    private readonly api: LogsApi,
    readonly query: string,
    private readonly filters: Filters,
  ) {
    this.terms = queryTerms(query);
  }

  static async run(api: LogsApi, query: string, filters: Filters, signal?: AbortSignal): Promise<SearchState> {
    const state = new SearchState(api, query, filters);
    await state.loadMore(signal);
    return state;
  }

  get current(): SearchMatch | null {
    return this.matches[this.index] ?? null;
  }

  /** Moves to the next (+1) or previous (−1) match, paging in more as needed. */
  async step(direction: 1 | -1, signal?: AbortSignal): Promise<SearchMatch | null> {
    if (this.total === 0) return null;
    let index = this.index + direction;
    if (index >= this.matches.length && this.next) await this.loadMore(signal);
    if (index >= this.matches.length) index = 0;
    if (index < 0) index = this.next ? this.index : this.matches.length - 1;
    this.index = index;
    return this.current;
  }

  describe(): string {
    if (this.total === 0) return `No match for “${this.query}”`;
    const total = this.totalExact ? String(this.total) : `${this.total}+`;
    return `Match ${this.index + 1} of ${total}`;
  }

  /**
   * The next page of matches. A job answered from its archive (docs/archive.md) is searched a few
   * MB per request: a page may come back short, even empty, with a `next` to go on from, and a
   * `total` that counts only what that request read — so empty pages are followed (up to
   * {@link MAX_EMPTY_PAGES}) and an inexact total never falls below the matches already loaded.
   */
  private async loadMore(signal?: AbortSignal): Promise<void> {
    for (let pages = 0; pages < MAX_EMPTY_PAGES; pages++) {
      const page = await this.api.search({ q: this.query, filters: this.filters, after: this.next ?? undefined, limit: PAGE, signal });
      this.matches.push(...page.matches);
      this.next = page.next;
      this.totalExact = page.totalExact;
      this.total = page.totalExact ? page.total : Math.max(page.total, this.matches.length);
      if (page.matches.length > 0 || !page.next) return;
    }
  }
}
