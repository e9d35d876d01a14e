/**
 * `<joblogs-viewer api="https://…" job="my-job">`: a job's log view as a web component with no
 * framework asked of its host. The host hands over the token through the `token` property or a
 * `getToken()` callback (never an attribute or a URL). See docs/viewer.md.
 */
import { LogsApi, type TokenSource } from './api.js';
import { ApiError, describeError } from './errors.js';
import { errorJump } from './error-jumps.js';
import { PAGE, type Target } from './loader.js';
import { formatPermalink, parsePermalink, type Permalink } from './permalink.js';
import type { Row } from './rows.js';
import { SearchState } from './search.js';
import { downloadLog, fillKibanaLink } from './links.js';
import { Shell } from './shell.js';
import { Tail } from './tail.js';
import { createToolbar, setSources, type Toolbar, type ToggleName } from './toolbar.js';
import type { Filters, JobSummary, LinesPage } from './types.js';
import { LogView } from './view.js';
import { Viewport } from './viewport.js';
import type { RowContext } from './row-dom.js';

export const EVENTS = { error: 'joblogs-error', status: 'joblogs-status', lineSelected: 'joblogs-line-selected' } as const;
const TOGGLE_ATTRIBUTES: Record<ToggleName, string> = { wrap: 'wrap', timestamps: 'timestamps', redraws: 'redraws' };

export class JoblogsViewer extends HTMLElement {
  static observedAttributes = ['api', 'job', 'wrap', 'timestamps', 'redraws'];

  private tokenValue: string | null = null;
  private tokenSource: TokenSource | null = null;

  private readonly root: ShadowRoot;
  private readonly toolbar: Toolbar;
  private readonly viewport: Viewport;
  private readonly shell: Shell;
  private api: LogsApi | null = null;
  private view: LogView | null = null;
  private tail: Tail | null = null;
  private summary: JobSummary | null = null;
  private filters: Filters = { source: [], stream: [], level: [] };
  private search: SearchState | null = null;
  private searching: string | null = null;
  private errorIndex = -1;
  private selectedKey: string | null = null;
  private missedLines = 0;
  private session = 0;
  private startScheduled = false;
  private message = '';

  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.toolbar = createToolbar({
      search: (q) => void this.runSearch(q),
      step: (d) => void this.stepSearch(d),
      clearSearch: () => this.clearSearch(),
      filter: (name, values) => void this.setFilter(name, values),
      firstError: () => void this.jumpToError(0),
      nextError: () => void this.jumpToError(this.errorIndex + 1),
      toggle: (name) => this.toggleOption(name),
      download: () => void this.download(),
    });
    this.viewport = new Viewport(
      {
        needBefore: () => void this.view?.extend('before'),
        needAfter: () => void this.view?.extend('after'),
        jump: (fraction, at) => this.view?.jump(fraction, at),
        userScrolledUp: () => this.setFollowing(false),
        reachedBottom: () => this.summary?.status === 'running' && this.setFollowing(true),
      },
      this.rowContext(),
    );
    this.shell = new Shell(this.root, this.toolbar, this.viewport.scroller);
    this.shell.jumpBottom.addEventListener('click', () => void this.followAgain());
    this.viewport.scroller.setAttribute('aria-label', 'Log lines');
    this.viewport.scroller.addEventListener('click', (event) => this.onRowClick(event));
    this.root.addEventListener('keydown', (event) => this.onKey(event as KeyboardEvent));
  }

  private readonly hashListener = (): void => this.onHashChange();

  /** A fixed bearer token (set by the host page). Setting it (re)opens the view. */
  get token(): string | null {
    return this.tokenValue;
  }

  set token(value: string | null) {
    this.tokenValue = value;
    this.scheduleStart();
  }

  /** Called for a token before the first request and again after a 401 (refresh). Wins over `token`. */
  get getToken(): TokenSource | null {
    return this.tokenSource;
  }

  set getToken(value: TokenSource | null) {
    this.tokenSource = value;
    this.scheduleStart();
  }

  connectedCallback(): void {
    // A host may set the token before this element was defined: that set an own property; re-set it through the accessor.
    for (const name of ['token', 'getToken'] as const) {
      if (!Object.hasOwn(this, name)) continue;
      const value = (this as Record<string, unknown>)[name];
      delete (this as Record<string, unknown>)[name];
      (this as Record<string, unknown>)[name] = value;
    }
    window.addEventListener('hashchange', this.hashListener);
    this.scheduleStart();
  }

  disconnectedCallback(): void {
    window.removeEventListener('hashchange', this.hashListener);
    this.stopSession();
  }

  attributeChangedCallback(name: string, previous: string | null, value: string | null): void {
    if (previous === value) return;
    if (name === 'api' || name === 'job') this.scheduleStart();
    else if (name === 'wrap' || (name === 'timestamps' && this.hasAttribute('wrap'))) this.viewport.setWrap(this.hasAttribute('wrap'));
    else if (name === 'redraws') this.view?.rebuild();
    this.syncToggles();
  }

  /** Reloads everything (e.g. after the host set a new token). */
  reload(): void {
    this.scheduleStart();
  }

  // ---- session -------------------------------------------------------------------------------

  private scheduleStart(): void {
    if (this.startScheduled || !this.isConnected) return;
    this.startScheduled = true;
    // Let the host set `token`/`getToken` right after inserting the element.
    queueMicrotask(() => {
      this.startScheduled = false;
      void this.start();
    });
  }

  private stopSession(): void {
    this.session++;
    this.tail?.stop();
    this.view?.stop();
    this.tail = null;
  }

  private async start(): Promise<void> {
    this.stopSession();
    const session = this.session;
    const base = this.getAttribute('api');
    const job = this.getAttribute('job');
    // Wait for the host to hand over a token (setting one starts the view).
    if (!base || !job || (!this.tokenSource && !this.tokenValue)) return;
    this.api = new LogsApi(base, job, () => (this.tokenSource ? this.tokenSource() : this.tokenValue));
    this.view = new LogView({
      api: this.api,
      viewport: this.viewport,
      summary: () => this.summary!,
      filters: () => this.filters,
      options: () => ({ showRedraws: this.hasAttribute('redraws') }),
      failed: (error) => this.showError(error),
      recovered: () => this.clearError(),
      changed: () => this.renderStatus(),
    });
    const link = this.permalinksOn() ? parsePermalink(location.hash) : null;
    // Most opens are of a finished job at its first line: ask for that page alongside the summary.
    const firstPage = link ? undefined : this.api.lines({ anchor: { after: 'start' }, filters: this.filters, limit: PAGE });
    firstPage?.catch(() => undefined);
    try {
      this.summary = await this.api.summary();
    } catch (error) {
      this.showError(error);
      if (error instanceof ApiError && error.transient && session === this.session)
        setTimeout(() => session === this.session && void this.start(), (error.retryAfter ?? 3) * 1000);
      return;
    }
    if (session !== this.session) return;
    this.clearError();
    this.onSummary();
    await this.openInitial(link, firstPage);
    if (session !== this.session) return;
    if (this.summary.status === 'running') this.startTail();
    void fillKibanaLink(this.api, this.summary, this.toolbar.kibana);
  }

  private onSummary(): void {
    const summary = this.summary!;
    setSources(
      this.toolbar,
      summary.sources.map((s) => s.source),
    );
    const widest = Math.max(...summary.sources.map((s) => s.lines), 1);
    this.style.setProperty('--joblogs-gutter-ch', String(Math.max(4, String(widest).length)));
    this.toolbar.firstError.disabled = this.toolbar.nextError.disabled = summary.errors.total === 0;
    this.emit(EVENTS.status, {
      jobId: summary.jobId,
      status: summary.status,
      exitCode: summary.exitCode,
      signal: summary.signal,
      lineCount: summary.lineCount,
    });
    this.refreshRows();
    this.renderStatus();
  }

  /** Lines printed since the summary was read: the counts the scrollbar and status bar use grow with them. */
  private onGrew(page: LinesPage): void {
    const summary = this.summary;
    if (!summary) return;
    for (const line of page.lines) {
      const source = summary.sources.find((s) => s.source === line.source);
      if (source && line.line !== null) source.lines = Math.max(source.lines, line.line + (line.span ?? 1));
    }
    summary.lineCount = summary.sources.reduce((sum, s) => sum + s.lines, 0);
    this.renderStatus();
  }

  private async openInitial(link: Permalink | null, firstPage: Promise<LinesPage> | undefined): Promise<void> {
    if (link) await this.openPermalink(link.source, link.line);
    else {
      this.setFollowing(this.summary!.status === 'running');
      await this.view!.show(this.summary!.status === 'running' ? { kind: 'end' } : { kind: 'start', page: firstPage });
    }
    // For hosts and the benchmark: the first lines are in the page (they paint in the next frame).
    performance.mark('joblogs:first-screen', { detail: { jobId: this.summary!.jobId } });
  }

  private startTail(): void {
    this.tail = new Tail({
      api: this.api!,
      view: this.view!,
      finished: (summary) => this.onFinished(summary),
      grew: (page) => this.onGrew(page),
      missed: (count) => {
        this.missedLines += count;
        this.renderStatus();
      },
      trouble: (error) => (error ? this.showError(error) : this.clearError()),
    });
    this.tail.start();
  }

  private onFinished(summary: JobSummary): void {
    this.summary = summary;
    this.onSummary();
    this.view?.rebuild(this.view.following ? { kind: 'end' } : { kind: 'keep' });
    this.shell.jumpBottom.hidden = true;
  }

  // ---- navigation ----------------------------------------------------------------------------

  private async openPermalink(source: string | null, line: number): Promise<void> {
    const sources = this.summary!.sources.map((s) => s.source);
    const chosen =
      source && sources.includes(source) ? source : sources.length === 1 ? null : this.filters.source.length === 1 ? this.filters.source[0]! : sources[0]!;
    // Line numbers are per source: a job with several is read on the chosen source's axis.
    if (chosen && sources.length > 1 && (this.filters.source.length !== 1 || this.filters.source[0] !== chosen)) this.setFilterValue('source', [chosen]);
    this.setFollowing(false);
    const index = await this.view!.show({ kind: 'line', source: chosen, line }, { rowsFromTop: 3 });
    this.select(this.view!.rows[index]);
  }

  private async followAgain(): Promise<void> {
    this.setFollowing(true);
    this.missedLines = 0;
    if (this.view?.window && !this.view.window.hasAfter) this.view.rebuild({ kind: 'end' });
    else await this.view?.show({ kind: 'end' });
  }

  private setFollowing(following: boolean): void {
    if (!this.view) return;
    const running = this.summary?.status === 'running';
    this.view.following = following && running;
    if (this.view.following) this.missedLines = 0;
    this.shell.jumpBottom.hidden = !running || this.view.following;
    this.renderStatus();
  }

  private async goTo(target: Target, rowsFromTop = 3): Promise<Row | undefined> {
    this.setFollowing(false);
    const index = await this.view!.show(target, { rowsFromTop });
    return index >= 0 ? this.view!.rows[index] : undefined;
  }

  /** The `index`th error under the filters (error-jumps.ts): the filters that would hide it go, the others stay. */
  private async jumpToError(index: number): Promise<void> {
    const summary = this.summary;
    const jump = summary && errorJump(summary, this.filters, index);
    if (!summary || !jump) return;
    this.errorIndex = jump.index;
    const changed = (['source', 'stream', 'level'] as const).filter((name) => jump.filters[name].join(',') !== this.filters[name].join(','));
    for (const name of changed) this.setFilterValue(name, jump.filters[name]);
    // A search's matches belong to the filters it ran under.
    if (changed.length > 0) this.forgetSearch();
    const row = await this.goTo(jump.target);
    this.select(row);
    const { total, positions } = summary.errors;
    const of = jump.ofSource !== null ? `${jump.count} in ${jump.ofSource}` : String(total);
    const listed = jump.ofSource === null && total > positions.length ? ` (the first ${positions.length} can be stepped through)` : '';
    this.announce(`Error ${jump.index + 1} of ${of}${listed}`);
  }

  // ---- search --------------------------------------------------------------------------------

  private async runSearch(query: string): Promise<void> {
    if (!this.api || !query.trim() || this.searching === query) return;
    this.searching = query;
    this.toolbar.search.dataset.ran = query;
    this.toolbar.searchStatus.textContent = 'Searching…';
    try {
      this.search = await SearchState.run(this.api, query, this.filters);
    } catch (error) {
      this.toolbar.searchStatus.textContent = '';
      return this.showError(error);
    } finally {
      this.searching = null;
    }
    await this.stepSearch(1);
  }

  private async stepSearch(direction: 1 | -1): Promise<void> {
    const search = this.search;
    if (this.searching) return;
    if (!search) return void (this.toolbar.search.value && this.runSearch(this.toolbar.search.value));
    const match = await search.step(direction).catch((error: unknown) => void this.showError(error));
    this.toolbar.searchStatus.textContent = search.describe();
    this.refreshRows();
    if (!match) return;
    const row = await this.goTo({ kind: 'cursor', cursor: match.cursor }, 5);
    this.select(row, false);
  }

  private clearSearch(): void {
    this.search = null;
    this.toolbar.search.value = '';
    delete this.toolbar.search.dataset.ran;
    this.toolbar.searchStatus.textContent = '';
    this.refreshRows();
    this.viewport.scroller.focus();
  }

  // ---- filters and options -------------------------------------------------------------------

  private async setFilter(name: keyof Filters, values: string[]): Promise<void> {
    this.setFilterValue(name, values);
    const first = this.view?.rows[this.viewport.firstVisible()?.index ?? 0];
    this.forgetSearch();
    // Stay at the same moment of the job under the new filters (or at the live end when following).
    const target: Target = this.view?.following ? { kind: 'end' } : first?.kind === 'line' ? { kind: 'time', at: first.time } : { kind: 'start' };
    await this.view?.show(target, { rowsFromTop: 0 });
  }

  private setFilterValue(name: keyof Filters, values: string[]): void {
    this.filters = { ...this.filters, [name]: values } as Filters;
    const control = this.toolbar[name];
    control.value = values.join(',');
    this.refreshRows();
  }

  /** The current search's matches no longer apply (the filters changed): Enter runs it again. */
  private forgetSearch(): void {
    this.search = null;
    this.toolbar.searchStatus.textContent = '';
    delete this.toolbar.search.dataset.ran;
  }

  private toggleOption(name: ToggleName): void {
    this.toggleAttribute(TOGGLE_ATTRIBUTES[name]);
  }

  private syncToggles(): void {
    for (const [name, button] of Object.entries(this.toolbar.toggles))
      button.setAttribute('aria-pressed', String(this.hasAttribute(TOGGLE_ATTRIBUTES[name as ToggleName])));
  }

  // ---- selection, links, keyboard ------------------------------------------------------------

  private onRowClick(event: MouseEvent): void {
    const link = (event.target as HTMLElement).closest('a.ln') as HTMLAnchorElement | null;
    if (!link?.dataset.line) return;
    event.preventDefault();
    const key = (link.parentElement as HTMLElement).dataset.key;
    this.select(this.view?.rows.find((r) => r.key === key));
  }

  private select(row: Row | undefined, updateHash = true): void {
    if (!row || row.kind === 'footer') return;
    this.selectedKey = row.key;
    this.refreshRows();
    if (row.line === null) return;
    const permalink = formatPermalink({ source: row.source, line: row.line }, this.summary!.sources.length === 1);
    if (updateHash && this.permalinksOn() && location.hash !== permalink) history.replaceState(history.state, '', permalink);
    this.emit(EVENTS.lineSelected, {
      source: row.source,
      line: row.line,
      lineNumber: row.line + 1,
      cursor: row.kind === 'line' ? row.cursor : null,
      permalink,
    });
  }

  private onHashChange(): void {
    const link = this.permalinksOn() && this.summary ? parsePermalink(location.hash) : null;
    if (link) void this.openPermalink(link.source, link.line);
  }

  private permalinksOn(): boolean {
    return this.getAttribute('permalinks') !== 'off';
  }

  private onKey(event: KeyboardEvent): void {
    const inField = (event.composedPath()[0] as HTMLElement).matches?.('input, select');
    if (inField || event.ctrlKey || event.metaKey || event.altKey) return;
    const actions: Record<string, () => void> = {
      '/': () => this.toolbar.search.focus(),
      n: () => void this.stepSearch(1),
      N: () => void this.stepSearch(-1),
      e: () => void this.jumpToError(this.errorIndex + 1),
      E: () => void this.jumpToError(0),
      w: () => this.toggleOption('wrap'),
      t: () => this.toggleOption('timestamps'),
      r: () => this.toggleOption('redraws'),
      Home: () => void this.goTo({ kind: 'start' }),
      g: () => void this.goTo({ kind: 'start' }),
      End: () => void (this.summary?.status === 'running' ? this.followAgain() : this.goTo({ kind: 'end' })),
      G: () => void (this.summary?.status === 'running' ? this.followAgain() : this.goTo({ kind: 'end' })),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  private async download(): Promise<void> {
    if (!this.api || !this.summary) return;
    try {
      const detail = await downloadLog(this.api, this.summary);
      if (detail) this.announce(detail);
    } catch (error) {
      this.showError(error);
    }
  }

  // ---- rendering of state --------------------------------------------------------------------

  private rowContext(): RowContext {
    const summary = this.summary;
    return {
      showSource: !!summary && summary.sources.length > 1 && this.filters.source.length !== 1,
      terms: this.search?.terms ?? [],
      currentKey: this.search?.current?.cursor ?? null,
      selectedKey: this.selectedKey,
      setSize: summary
        ? this.filters.source.length === 1
          ? (summary.sources.find((s) => s.source === this.filters.source[0])?.lines ?? -1)
          : summary.lineCount
        : -1,
    };
  }

  private refreshRows(): void {
    this.viewport.refresh(this.rowContext());
  }

  private renderStatus(): void {
    if (!this.summary) return;
    this.shell.renderStatus({ summary: this.summary, following: this.view?.following ?? false, missedLines: this.missedLines, message: this.message });
  }

  private announce(message: string): void {
    this.message = message;
    this.renderStatus();
  }

  private showError(error: unknown): void {
    const message = describeError(error, this.getAttribute('job') ?? '');
    this.shell.showAlert(message);
    const detail =
      error instanceof ApiError ? { status: error.status, code: error.code, message: error.message } : { status: null, code: 'CLIENT', message: String(error) };
    this.emit(EVENTS.error, { ...detail, text: message });
  }

  private clearError(): void {
    this.shell.clearAlert();
  }

  private emit(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}
