/**
 * The controls above the lines: search, filters, error jumps, display toggles, download and
 * Kibana. It only builds DOM and reports intents; the element decides what they do.
 */

export interface ToolbarIntents {
  search(query: string): void;
  step(direction: 1 | -1): void;
  clearSearch(): void;
  filter(name: 'source' | 'stream' | 'level', values: string[]): void;
  firstError(): void;
  nextError(): void;
  toggle(name: ToggleName): void;
  download(): void;
}

export type ToggleName = 'wrap' | 'timestamps' | 'redraws';

export interface Toolbar {
  element: HTMLElement;
  search: HTMLInputElement;
  searchStatus: HTMLElement;
  source: HTMLSelectElement;
  stream: HTMLSelectElement;
  level: HTMLSelectElement;
  toggles: Record<ToggleName, HTMLButtonElement>;
  firstError: HTMLButtonElement;
  nextError: HTMLButtonElement;
  download: HTMLButtonElement;
  kibana: HTMLAnchorElement;
}

/**
 * Levels are the words the indexer found (lowercased): Python's logging writes `WARNING` and
 * `CRITICAL`, pino and most others `warn` and `fatal`, so each choice names every spelling.
 */
const ERRORS = 'error,critical,fatal';
const WARNINGS = 'warn,warning';
const LEVEL_CHOICES: Array<[string, string]> = [
  ['', 'All levels'],
  [ERRORS, 'Errors'],
  [`${ERRORS},${WARNINGS}`, 'Warn + error'],
  [WARNINGS, 'Warnings'],
  ['info,notice', 'Info'],
  ['debug,trace', 'Debug'],
  // Lines the indexer found no level in: what the job's own code printed, without its loggers.
  ['none', 'No level'],
];

export function createToolbar(intents: ToolbarIntents): Toolbar {
  const element = el('div', { className: 'toolbar', role: 'toolbar', 'aria-label': 'Log viewer controls' });
  const search = el('input', { type: 'search', placeholder: 'Search (/)', 'aria-label': 'Search the logs', enterKeyHint: 'search' });
  const searchStatus = el('span', { className: 'search-status', role: 'status', 'aria-live': 'polite' });
  const previous = button('↑', 'Previous match (Shift+Enter)', () => intents.step(-1));
  const next = button('↓', 'Next match (Enter)', () => intents.step(1));
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      if (search.value.trim() === '') intents.clearSearch();
      else if (search.dataset.ran === search.value) intents.step(event.shiftKey ? -1 : 1);
      else intents.search(search.value);
    } else if (event.key === 'Escape') intents.clearSearch();
  });
  search.addEventListener('search', () => search.value === '' && intents.clearSearch());
  const source = select('Source', [['', 'All sources']], (v) => intents.filter('source', v));
  const stream = select(
    'Stream',
    [
      ['', 'All streams'],
      ['stdout', 'stdout'],
      ['stderr', 'stderr'],
    ],
    (v) => intents.filter('stream', v),
  );
  const level = select('Level', LEVEL_CHOICES, (v) => intents.filter('level', v));
  const firstError = button('First error', 'Jump to the first error', () => intents.firstError());
  const nextError = button('Next error', 'Jump to the next error (e)', () => intents.nextError());
  const toggles = {
    wrap: toggle('Wrap', 'Wrap long lines (w)', () => intents.toggle('wrap')),
    timestamps: toggle('Time', 'Show timestamps (t)', () => intents.toggle('timestamps')),
    redraws: toggle('Every redraw', 'Show every redraw of progress bars (r)', () => intents.toggle('redraws')),
  };
  const download = button('Download', 'Download the whole log file', () => intents.download());
  const kibana = el('a', { className: 'link', textContent: 'Kibana ↗', target: '_blank', rel: 'noopener noreferrer', hidden: true });
  element.append(
    group('Search', search, previous, next, searchStatus),
    group('Filters', source, stream, level),
    group('Errors', firstError, nextError),
    group('Display', toggles.wrap, toggles.timestamps, toggles.redraws),
    group('Links', download, kibana),
  );
  return { element, search, searchStatus, source, stream, level, toggles, firstError, nextError, download, kibana };
}

/** Fills the source filter with the job's sources (hidden for a job with one). */
export function setSources(toolbar: Toolbar, sources: string[]): void {
  toolbar.source.replaceChildren(option('', 'All sources'), ...sources.map((s) => option(s, s)));
  toolbar.source.hidden = sources.length < 2;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string | boolean> = {}): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name.includes('-') || name === 'role') element.setAttribute(name, String(value));
    else (element as unknown as Record<string, unknown>)[name] = value;
  }
  return element;
}

function button(text: string, label: string, onClick: () => void): HTMLButtonElement {
  const element = el('button', { type: 'button', textContent: text, title: label, 'aria-label': label });
  element.addEventListener('click', onClick);
  return element;
}

function toggle(text: string, label: string, onClick: () => void): HTMLButtonElement {
  const element = button(text, label, onClick);
  element.setAttribute('aria-pressed', 'false');
  return element;
}

function option(value: string, text: string): HTMLOptionElement {
  return el('option', { value, textContent: text });
}

function select(label: string, choices: Array<[string, string]>, onChange: (values: string[]) => void): HTMLSelectElement {
  const element = el('select', { 'aria-label': label, title: label });
  element.append(...choices.map(([value, text]) => option(value, text)));
  element.addEventListener('change', () => onChange(element.value ? element.value.split(',') : []));
  return element;
}

function group(label: string, ...children: HTMLElement[]): HTMLElement {
  const element = el('div', { className: 'group', role: 'group', 'aria-label': label });
  element.append(...children);
  return element;
}
