/**
 * A lane is where one event can be open at a time: a stream of a source, split further by the
 * rank prefix a distributed launcher puts on every line (`torchrun --tee 3` writes `[rank1]: `,
 * older versions `[default1]:`), so several ranks' tracebacks interleaved in one stream are
 * each one event. The prefix stays in the text; the recognisers see what follows it.
 */
export interface Lane {
  /** `stderr`, or `stderr/rank1` for a prefixed line. */
  key: string;
  /** Where the text after the prefix starts (0 when there is none). */
  offset: number;
}

const RANK_PREFIX = /^\[((?:rank|default)\d{1,6})\]: ?/;

export function laneOf(stream: string, text: string): Lane {
  // Nearly every line fails the first test: no regular expression runs for it.
  if (text.charCodeAt(0) !== 0x5b) return { key: stream, offset: 0 };
  const prefix = RANK_PREFIX.exec(text);
  return prefix ? { key: `${stream}/${prefix[1]}`, offset: prefix[0].length } : { key: stream, offset: 0 };
}

/** A lane key as chunk metadata lists it (`open-events`): a stream, optionally `/` and a rank. */
export const LANE_KEY = /^(stdout|stderr)(\/(?:rank|default)\d{1,6})?$/;
