import type { MappingPlan } from '../cluster/features.js';
import type { JsonBytes } from './json-bytes.js';

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

/**
 * Writes the terms of user JSON (already sanitised: no deeper than the indexer keeps it) as a JSON
 * array of strings, escaped as `JSON.stringify` escapes them, without a string per term: a term
 * string per leaf and one `JSON.stringify` of them cost the indexer 16–29 % of its CPU on a
 * JSON-heavy log. Writes nothing when there are none. True when leaves were left out to keep
 * within the bounds.
 */
export function writeJsonTerms(out: JsonBytes, fields: Record<string, unknown>): boolean {
  const writer = new TermWriter(out);
  for (const key in fields) writer.visit(fields[key], key);
  if (writer.count > 0) out.byte(CLOSE_ARRAY);
  return writer.cut;
}

/** Every leaf within the bounds, once, in document order, written as it is reached. */
class TermWriter {
  cut = false;
  count = 0;
  #chars = 0;

  constructor(private readonly out: JsonBytes) {}

  visit(value: unknown, path: string): void {
    if (this.cut || value === null || value === undefined) return;
    if (typeof value === 'object') {
      if (Array.isArray(value)) for (const item of value) this.visit(item, path);
      else for (const key in value) this.visit((value as Record<string, unknown>)[key], `${path}.${key}`);
      return;
    }
    // Parsed JSON holds only finite numbers, booleans and strings here: String() writes them as JSON does.
    const text = typeof value === 'string' ? value : String(value);
    const size = path.length + 1 + text.length;
    if (this.count >= MAX_JSON_TERMS || this.#chars + size > MAX_JSON_TERMS_CHARS) {
      this.cut = true;
      return;
    }
    this.count++;
    this.#chars += size;
    const out = this.out;
    out.byte(this.count === 1 ? OPEN_ARRAY : COMMA);
    out.byte(QUOTE);
    out.stringContent(path);
    out.byte(EQUALS);
    out.stringContent(text);
    out.byte(QUOTE);
  }
}

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const EQUALS = 0x3d;

/** The query that finds a user-JSON value by its path, on either kind of field. */
export function userJsonQuery(userJson: MappingPlan['userJson'], path: string, value: string): Record<string, unknown> {
  return userJson === 'terms' ? { term: { 'joblogs.json_kv': `${path}=${value}` } } : { term: { [`json.${path}`]: value } };
}
