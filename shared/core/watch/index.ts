/** Fresh when watched (docs/shipper.md): the watch signal's key and body, and the flush cadence it decides. */
export {
  adaptsToWatching,
  afterWatchRead,
  flushCadence,
  isWatched,
  nextPollDelay,
  nextReadDelay,
  pollPolicy,
  UNWATCHED,
  type Cadence,
  type CadencePolicy,
  type PollPolicy,
  type WatchRead,
  type WatchState,
} from './cadence.js';
export { CadenceReason, WatchDefaults } from './constants.js';
export { encodeWatchSignal, parseWatchSignal, WATCH_PREFIX, watchKey } from './watch-signal.js';
export { ERROR_WINDOW_BYTES, isErrorLine } from './error-line.js';
