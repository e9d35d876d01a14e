/**
 * Permalinks: `#L12345` is 1-based line 12345 of a single-source job (or of the selected source);
 * `#rank-3:L12345` names the source too, for a job with several.
 */

export interface Permalink {
  source: string | null;
  /** 0-based, as the API numbers lines. */
  line: number;
}

export function parsePermalink(hash: string): Permalink | null {
  const match = /^#?(?:([A-Za-z0-9][A-Za-z0-9_.-]*):)?L(\d{1,12})$/.exec(decodeURIComponent(hash));
  if (!match) return null;
  const line = Number(match[2]) - 1;
  return line >= 0 ? { source: match[1] ?? null, line } : null;
}

export function formatPermalink(link: Permalink, singleSource: boolean): string {
  return `#${singleSource || !link.source ? '' : `${link.source}:`}L${link.line + 1}`;
}
