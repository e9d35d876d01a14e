import { CHUNK_CONTRACT_VERSION, MAX_CHUNK_SEQ } from './constants.js';
import { ChunkKeyError } from '../errors.js';

/** Where a chunk lives and what its key says about it (docs/chunk-contract.md, "Key layout"). */
export interface ChunkKey {
  jobId: string;
  source: string;
  seq: number;
}

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const SOURCE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SEQ = /^\d{1,10}$/;
const SUFFIX = '.log.gz';

export function isValidJobId(value: string): boolean {
  return JOB_ID.test(value) && !/^\.+$/.test(value);
}

export function isValidSource(value: string): boolean {
  return SOURCE.test(value);
}

/** Builds the key a producer must use for chunk `seq` of `source` in job `jobId`. */
export function chunkKey(parts: ChunkKey, prefix = 'chunks/'): string {
  if (!isValidJobId(parts.jobId)) throw new ChunkKeyError(`Invalid job id ${JSON.stringify(parts.jobId)}`);
  if (!isValidSource(parts.source)) throw new ChunkKeyError(`Invalid source ${JSON.stringify(parts.source)}`);
  if (!Number.isInteger(parts.seq) || parts.seq < 0 || parts.seq > MAX_CHUNK_SEQ) {
    throw new ChunkKeyError(`Invalid chunk sequence ${parts.seq}`);
  }
  return `${prefix}${CHUNK_CONTRACT_VERSION}/${parts.jobId}/${parts.source}/${String(parts.seq).padStart(10, '0')}${SUFFIX}`;
}

/** Parses a (decoded) object key; throws {@link ChunkKeyError} naming what is wrong. */
export function parseChunkKey(key: string, prefix = 'chunks/'): ChunkKey {
  const fail = (why: string): never => {
    throw new ChunkKeyError(`Object key ${JSON.stringify(key)} is outside the chunk layout: ${why}`, {
      details: { key, expected: `${prefix}${CHUNK_CONTRACT_VERSION}/<jobId>/<source>/<seq>${SUFFIX}` },
    });
  };
  if (!key.startsWith(prefix)) fail(`it does not start with ${prefix}`);
  if (!key.endsWith(SUFFIX)) fail(`it does not end with ${SUFFIX}`);
  const parts = key.slice(prefix.length, key.length - SUFFIX.length).split('/');
  if (parts.length !== 4) fail('expected version/jobId/source/seq');
  const [version, jobId, source, seqText] = parts as [string, string, string, string];
  if (version !== CHUNK_CONTRACT_VERSION) fail(`unknown contract version ${JSON.stringify(version)}`);
  if (!isValidJobId(jobId)) fail(`invalid job id ${JSON.stringify(jobId)}`);
  if (!isValidSource(source)) fail(`invalid source ${JSON.stringify(source)}`);
  if (!SEQ.test(seqText)) fail(`invalid sequence ${JSON.stringify(seqText)}`);
  const seq = Number(seqText);
  if (seq > MAX_CHUNK_SEQ) fail(`sequence ${seq} is above ${MAX_CHUNK_SEQ}`);
  return { jobId, source, seq };
}

/**
 * The key of the chunk `delta` seqs away from `key` in the same source, written the way `key`
 * writes its seq (the same zero-padding); undefined below seq 0 or past the bound.
 */
export function neighbourKey(key: string, delta: number): string | undefined {
  const end = key.length - SUFFIX.length;
  const slash = key.lastIndexOf('/', end);
  const seqText = key.slice(slash + 1, end);
  const seq = Number(seqText) + delta;
  if (!SEQ.test(seqText) || seq < 0 || seq > MAX_CHUNK_SEQ) return undefined;
  const text = String(seq).padStart(seqText.length, '0');
  return text.length > 10 ? undefined : `${key.slice(0, slash + 1)}${text}${SUFFIX}`;
}

/**
 * S3 event notifications URL-encode object keys, with `+` for spaces
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
 */
export function decodeEventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}
