/** The bounds of one grouped event (docs/chunk-contract.md, "Events and progress bars"), like Filebeat's `max_lines`. */
export const EventBounds = {
  maxLines: 500,
  maxBytes: 1024 * 1024,
} as const;

/** Bounds of a per-job pattern (docs/chunk-contract.md): what a producer may ask the indexer to run. */
export const PatternBounds = {
  /** Characters of one pattern. */
  maxLength: 256,
  /** Repetitions (`*`, `+`, `{n,m}`) in one pattern; nested repetition is refused outright. */
  maxRepetitions: 10,
  /** A pattern is matched against at most this many characters of a line. */
  inputChars: 1024,
} as const;

/** Names of the built-in recognisers (what `joblogs.event` records). */
export const EventKind = {
  python: 'python',
  java: 'java',
  node: 'node',
  go: 'go',
  custom: 'custom',
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

/** What the recogniser says about one line of a lane. */
export const LineVerdict = {
  /** A line on its own, or the first line of what may become an event. */
  start: 'start',
  /** Continues the open event of its lane. */
  continue: 'continue',
  /** Would continue the open event, but the event reached its bounds: it is cut here, this line goes on as a line. */
  cut: 'cut',
} as const;
export type LineVerdict = (typeof LineVerdict)[keyof typeof LineVerdict];
