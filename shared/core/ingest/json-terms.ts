import type { MappingPlan } from '../cluster/features.js';

/**
 * User JSON as `path=value` keywords (`joblogs.json_kv`): how a cluster without a `flattened`
 * field type (OpenSearch) searches a line's JSON fields (`joblogs.json_kv: "step=3"`) at a third
 * of what `flat_object` costs on disk (docs/search-storage.md). Paths are dotted as `flattened`
 * spells them; an array's items share its path; `null` has no value to find and is left out.
 * Numbers and booleans are written as JSON writes them.
 */

/** At most this many terms per document: a line's JSON may hold more leaves than anyone searches. */
export const MAX_JSON_TERMS = 1000;
/** And at most this many characters of them (paths repeat per leaf, so they may outgrow the line). */
export const MAX_JSON_TERMS_CHARS = 64 * 1024;

export interface JsonTerms {
  terms: string[];
  /** Leaves were left out to keep within the bounds. */
  cut: boolean;
}

/** The `path=value` terms of user JSON (already sanitised: no deeper than the indexer keeps it). */
export function jsonTerms(fields: Record<string, unknown>): JsonTerms {
  const collector = new TermCollector();
  for (const key in fields) collector.add(fields[key], key);
  return { terms: collector.terms, cut: collector.cut };
}

class TermCollector {
  readonly terms: string[] = [];
  cut = false;
  #chars = 0;

  add(value: unknown, path: string): void {
    if (this.cut || value === null || value === undefined) return;
    if (typeof value === 'object') {
      if (Array.isArray(value)) for (const item of value) this.add(item, path);
      else for (const key in value) this.add((value as Record<string, unknown>)[key], `${path}.${key}`);
      return;
    }
    // Parsed JSON holds only finite numbers, booleans and strings here: String() writes them as JSON does.
    const term = `${path}=${typeof value === 'string' ? value : String(value)}`;
    if (this.terms.length >= MAX_JSON_TERMS || this.#chars + term.length > MAX_JSON_TERMS_CHARS) {
      this.cut = true;
      return;
    }
    this.#chars += term.length;
    this.terms.push(term);
  }
}

/** The query that finds a user-JSON value by its path, on either kind of field. */
export function userJsonQuery(userJson: MappingPlan['userJson'], path: string, value: string): Record<string, unknown> {
  return userJson === 'terms' ? { term: { 'joblogs.json_kv': `${path}=${value}` } } : { term: { [`json.${path}`]: value } };
}
