/**
 * The component's frame around the lines: the alert for refusals, the status bar (job status,
 * counts, messages; a polite live region) and the "jump to bottom" button over the lines.
 */
import { STYLES } from './styles.js';
import type { Toolbar } from './toolbar.js';
import type { JobSummary } from './types.js';
import { finishedText } from './view.js';

export interface StatusFacts {
  summary: JobSummary;
  following: boolean;
  missedLines: number;
  message: string;
}

export class Shell {
  readonly alert = element('div', 'alert', { role: 'alert' });
  readonly statusbar = element('div', 'statusbar', { role: 'status' });
  readonly jumpBottom = element('button', 'jump-bottom', { type: 'button' }) as HTMLButtonElement;

  constructor(root: ShadowRoot, toolbar: Toolbar, scroller: HTMLElement) {
    this.alert.hidden = true;
    this.jumpBottom.textContent = '↓ Jump to bottom';
    this.jumpBottom.hidden = true;
    const main = element('div', 'main');
    main.append(scroller, this.jumpBottom);
    const style = document.createElement('style');
    style.textContent = STYLES;
    root.append(style, toolbar.element, this.alert, main, this.statusbar);
  }

  showAlert(message: string): void {
    this.alert.textContent = message;
    this.alert.hidden = false;
  }

  clearAlert(): void {
    this.alert.hidden = true;
  }

  renderStatus(facts: StatusFacts): void {
    const { summary } = facts;
    const status = element('span', 'job-status');
    status.dataset.status = summary.status;
    status.textContent = summary.status === 'running' ? (facts.following ? 'Running · following' : 'Running · paused') : finishedText(summary);
    const parts = [`${thousands(summary.lineCount)} lines`];
    if (summary.sources.length > 1) parts.push(`${summary.sources.length} sources`);
    if (summary.errors.total) parts.push(`${thousands(summary.errors.total)} error${summary.errors.total === 1 ? '' : 's'}`);
    if (facts.missedLines) parts.push(`${facts.missedLines} new lines below`);
    if (facts.message) parts.push(facts.message);
    const rest = element('span', 'facts');
    rest.textContent = parts.join(' · ');
    this.statusbar.replaceChildren(status, ...(summary.archive ? [archiveBadge()] : []), rest);
  }
}

/** Lines read from the job's archive in S3 rather than the search cluster: the same lines, a little slower. */
function archiveBadge(): HTMLElement {
  const badge = element('span', 'archive-badge');
  badge.textContent = 'from archive';
  badge.title = "This job's lines have aged out of the search cluster and are read from its archive";
  return badge;
}

function element(tag: string, className: string, attributes: Record<string, string> = {}): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** 1234567 → "1,234,567" (without `toLocaleString`, whose first call costs ~10 ms of ICU set-up). */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
