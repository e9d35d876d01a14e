/**
 * Error-level lines (docs/shipper.md, "Fresh when watched"): while nobody watches a job, the chunk
 * holding one is sealed by the fresh interval, not the idle one — an error is what someone opens
 * the viewer for. A cheap look at the start of the raw line, not the indexer's full parse
 * (shared/core/ingest/parse-line.ts): the level words it reads as error or worse, a JSON logger's
 * level field (pino's 50 and 60 too), and Python's traceback header.
 */

import { withoutColours } from '../contract/colour-codes.js';

/** Bytes of a line looked at: a level word or field comes early. */
export const ERROR_WINDOW_BYTES = 160;
const TEXT_ERROR = /(?:^|[ \t[(|:])(?:ERROR|CRITICAL|FATAL|PANIC)(?=$|[ \t\]):|,-])/;
const JSON_ERROR =
  /"(?:level|log\.level|levelname|severity|lvl|loglevel)"[ \t]*:[ \t]*(?:"(?:error|err|critical|crit|fatal|panic|alert|emerg|emergency)"|50|60)(?![0-9])/i;
const TRACEBACK = /^Traceback \(most recent call last\):/;
const latin1 = new TextDecoder('latin1');

/**
 * Whether a line (its raw bytes, no terminator) reads as error level or worse.
 *
 * @example
 * isErrorLine(Buffer.from('2026-12-01 10:00:00 ERROR data loader died')) // → true
 * isErrorLine(Buffer.from('{"level":50,"msg":"boom"}'))                   // → true
 * isErrorLine(Buffer.from('epoch 3 errors=0'))                            // → false
 */
export function isErrorLine(bytes: Uint8Array): boolean {
  const text = withoutColours(latin1.decode(bytes.subarray(0, ERROR_WINDOW_BYTES)));
  return TEXT_ERROR.test(text) || JSON_ERROR.test(text) || TRACEBACK.test(text);
}
