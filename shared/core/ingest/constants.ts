/** Subtrees of user JSON deeper than this are stored as a JSON string (flattened depth_limit is 20). */
export const MAX_JSON_DEPTH = 16;

export const LineTag = {
  invalidUtf8: 'invalid_utf8',
  split: 'split',
  badTimestamp: 'bad_timestamp',
  badFrame: 'bad_frame',
  /** An event cut at its bounds (500 lines / 1 MiB): what follows of it is indexed as lines. */
  eventCut: 'event_cut',
  /** Lines that continue an event whose start the indexer could not find (its chunk never came). */
  eventHeadless: 'event_headless',
  /** An event whose continuation (in the next chunk) never came: indexed with the lines it had. */
  eventIncomplete: 'event_incomplete',
  /** The chunk named multi-line patterns that were refused: grouped by the built-in recognisers only. */
  multilinePatternRefused: 'multiline_pattern_refused',
  /** The line's JSON had more leaves than `joblogs.json_kv` keeps (json-terms.ts): the rest are in `json` and `message` only. */
  jsonTermsCut: 'json_terms_cut',
} as const;
