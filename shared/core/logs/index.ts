export { compareKeys, decodeCursor, encodeCursor } from './cursor.js';
export type { Cursor, LineOrder, SeenBySource, SortKey } from './cursor.js';
export { isSeen, isSeenCursor, nextMergedCursor, unseenFilter } from './tail.js';
export type { SeenCursor } from './tail.js';
export { LINES_LIMIT, MAX_WAIT_SECONDS, parseLinesRequest, parseNoParams, parseRedrawsRequest, parseSearchRequest, SEARCH_LIMIT } from './params.js';
export type { LineFilters, LinesAnchor, LinesRequest, RedrawsRequest, SearchRequest } from './params.js';
export { barStatesOf, MAX_REDRAW_STATES, RedrawReader } from './redraws.js';
export type { BarStates } from './redraws.js';
export {
  anyBefore,
  backwardSequenceWindows,
  backwardWindows,
  chunksIndex,
  lineKey,
  linesIndex,
  linesSearch,
  orderOf,
  scopeFilters,
  searchBody,
  sortFor,
  toApiLine,
} from './query.js';
export type { ApiLine, Frontier, Hit, LineScope, LinesSearch } from './query.js';
export { highlightOffsets, MAX_QUERY_LENGTH, parseSearchTerms, searchClauses } from './search-terms.js';
export type { SearchTerms } from './search-terms.js';
export { printedText } from './printed-text.js';
export {
  chunkRecordsAggregation,
  errorPosition,
  firstMissingSeq,
  frontierOf,
  fullyIndexed,
  jobOverview,
  levelsAggregation,
  termCounts,
  sourceProgress,
} from './summary.js';
export type { ErrorPosition, JobOverview, SourceProgress } from './summary.js';
export { recordedCounts, SUMMARY_LEVELS, SUMMARY_STREAMS, topCounts } from './counts.js';
export type { JobCounts } from './counts.js';
export { chunksToCheck, recentChunks, SEARCHABLE_WITHIN_MS, searchableFrontier, searchableLinesAggregation } from './searchable.js';
export type { RecordedChunk } from './searchable.js';
