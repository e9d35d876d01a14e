import { withColours } from '../contract/colour-codes.js';

/**
 * A line document's text as printed: `message` is the text as shown (what is searched), its colour
 * codes kept apart in `joblogs.colours` (shared/core/ingest/ecs-document.ts). Documents written
 * before the codes were taken out hold the printed text in `message` and no `colours`.
 *
 * @example
 * printedText({ message: 'INFO step 3', joblogs: { colours: '0@32,4@0' } }) // → '\x1b[32mINFO\x1b[0m step 3'
 */
// biome-ignore lint/suspicious/noExplicitAny: a document's `_source`, read field by field
export function printedText(source: Record<string, any>): string {
  return withColours(String(source['message'] ?? ''), source['joblogs']?.['colours']);
}
