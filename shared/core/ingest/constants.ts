/** Subtrees of user JSON deeper than this are stored as a JSON string (flattened depth_limit is 20). */
export const MAX_JSON_DEPTH = 16;

export const LineTag = {
  invalidUtf8: 'invalid_utf8',
  split: 'split',
  badTimestamp: 'bad_timestamp',
  badFrame: 'bad_frame',
} as const;
