export { shownText, splitColours, withColours, withoutColours } from './colour-codes.js';
export type { ColourSplit, ShownText } from './colour-codes.js';
export { chunkKey, decodeEventKey, isValidJobId, isValidSource, neighbourKey, parseChunkKey } from './chunk-key.js';
export type { ChunkKey } from './chunk-key.js';
export {
  CHUNK_CONTRACT_VERSION,
  ChunkFormat,
  DEFAULT_SOURCE_STREAM,
  EventMetadata,
  EVENTS_MARKED,
  GZIP_MAGIC,
  MAX_CHUNK_BYTES,
  MAX_CHUNK_SEQ,
  SEQUENCE_STRIDE,
} from './constants.js';
export { decodeFrame, decodeFrames, encodeFrame, frameBytes, MARK_FIELD, readFrameLeniently, readShipperFrame, reassembleStreams } from './frame.js';
export type { Frame, FrameMark, FrameStream, FrameTerminator, JsonLiteral, LenientFrame, ShipperFrame } from './frame.js';
export { gunzipChunk, readableHead } from './gunzip.js';
export { JOB_MARKER_PREFIX, JobStatus, jobMarkerKey, jobMarkerPrefix, parseJobMarker, parseJobMarkerKey, summariseJob } from './job-marker.js';
export type { JobMarker, JobMarkerKey, JobSummary } from './job-marker.js';
export { REGISTRY_PREFIX, newJobRegistration, parseJobRegistration, registrationKey } from './job-registration.js';
export type { JobRegistration } from './job-registration.js';
export { parseTimestamp, timestampFromMillis } from './timestamps.js';
export type { Timestamp } from './timestamps.js';
export { formatTraceparent, newSpanId, newTraceId, normalizeSpanId, normalizeTraceId, parseTraceparent, readTraceparent } from './trace-context.js';
export type { TraceIds, Traceparent } from './trace-context.js';
