/**
 * "First error" / "Next error" under the person's filters: which of the summary's error positions
 * are stepped through, which filters stay, and how the view opens the one reached. Pure.
 *
 * The positions are those of the whole job, each with its source, stream and level. With one
 * source chosen, its own errors are stepped through (all of them when it has none). A filter that
 * would hide the error reached is let go — only that one: the source becomes the error's (a job
 * of several sources is read on one source's axis), a stream or level filter that leaves the line
 * out is cleared — and the others stay.
 */
import type { Target } from './loader.js';
import type { Filters, JobSummary, LinePosition } from './types.js';

/** The levels the summary counts as errors (docs/logs-api.md). */
const ERROR_LEVELS: readonly string[] = ['error', 'fatal', 'critical'];

export interface ErrorJump {
  position: LinePosition;
  /** Its index among the positions stepped through, and how many there are. */
  index: number;
  count: number;
  /** The positions stepped through are those of the one source chosen. */
  ofSource: string | null;
  /** The filters to show it under: the person's, less what would hide it. */
  filters: Filters;
  target: Target;
}

/** The `index`th error to step to (wrapping round), or null when the job has none. */
export function errorJump(summary: Pick<JobSummary, 'errors' | 'sources'>, filters: Filters, index: number): ErrorJump | null {
  const all = summary.errors.positions;
  if (all.length === 0) return null;
  const chosen = filters.source.length === 1 ? filters.source[0]! : null;
  const own = chosen === null ? [] : all.filter((p) => p.source === chosen);
  const positions = own.length > 0 ? own : all;
  const at = index >= 0 && index < positions.length ? index : 0;
  const position = positions[at]!;
  return { position, index: at, count: positions.length, ofSource: own.length > 0 ? chosen : null, ...opening(position, filters, summary.sources.length) };
}

/** `filters` less what would hide `position`. */
function showing(filters: Filters, position: LinePosition, sources: number): Filters {
  const source = filters.source.length === 0 || filters.source.includes(position.source) ? filters.source : sources > 1 ? [position.source] : [];
  // A position without its stream or level (a job archived before they were listed) keeps a filter only where it cannot hide an error.
  const stream = filters.stream.length === 0 || (position.stream !== undefined && filters.stream.includes(position.stream)) ? filters.stream : [];
  const levelShown = position.level ? filters.level.includes(position.level) : filters.level.some((l) => ERROR_LEVELS.includes(l));
  const level = filters.level.length === 0 || levelShown ? filters.level : [];
  return { source, stream, level };
}

/**
 * How to open `position` under `filters`: at its line number where that is exact (one source's
 * axis); by the summary's cursor where nothing is filtered (it belongs to the unfiltered merged
 * view); else at its capture time, the line itself picked out of the lines opened there. Without a
 * capture time (a job archived before it was listed) the filters go and the cursor is used.
 */
function opening(position: LinePosition, filters: Filters, sources: number): { filters: Filters; target: Target } {
  const shown = showing(filters, position, sources);
  const axis = sources === 1 || (shown.source.length === 1 && shown.source[0] === position.source);
  if (position.line !== null && axis) return { filters: shown, target: { kind: 'line', source: position.source, line: position.line } };
  if (position.captured !== undefined && !isUnfiltered(shown))
    return { filters: shown, target: { kind: 'time', at: position.captured, item: { source: position.source, seq: position.seq } } };
  return { filters: { source: [], stream: [], level: [] }, target: { kind: 'cursor', cursor: position.cursor } };
}

function isUnfiltered(filters: Filters): boolean {
  return filters.source.length === 0 && filters.stream.length === 0 && filters.level.length === 0;
}
