/**
 * testkit: the one support package of the tests, scripts, benchmarks and the load run. It imports
 * none of them (test/unit/testkit/boundaries.test.ts checks). This barrel holds the helpers that
 * need no running service; the rest come from its sub-barrels:
 * `testkit/stack/index.js` (the local stack), `testkit/pipeline/index.js` (our functions on its
 * queues), `testkit/http/index.js` (HTTP API and JWT issuer), `testkit/bench/index.js` (benchmarks).
 */
export { eventually } from './eventually.js';
export {
  countDocuments,
  countJobDocuments,
  deleteJobDocuments,
  esBulk,
  esRequest,
  installStageTemplates,
  installStoredAsWrittenTemplates,
  jobDocuments,
  leafFields,
  mappingFieldCount,
  overrideStreamTemplates,
  refresh,
  removeStageTemplates,
  resetDataStream,
  type EsEndpoint,
  type EsTarget,
  type JobDocument,
  type KindedTarget,
} from './es.js';
export { startFaultProxy, startHttpFaultProxy, type FaultProxy, type HttpFault, type HttpFaultProxy } from './fault-proxy.js';
export { FreshnessProber, searchByIds, type FreshnessSearch } from './freshness.js';
export {
  checkExactlyOnce,
  describeVerdict,
  downloadLinesView,
  exactlyOnceVerdict,
  expectedDocuments,
  type InvariantVerdict,
  type LinesView,
  type PrintedChunk,
  type ViewLines,
} from './invariant.js';
export { markedChunks, type CapturedText, type MarkedChunk } from './frames.js';
export { putJobMarker, registerTestJob, shipperArgs, TEST_OWNER, type ShipperTarget } from './jobs.js';
export { lambdaContext, type LambdaContextOptions } from './lambda.js';
export { discardSink, jsonLogSink, type LogLine } from './log-sink.js';
export { childEnv, LOCAL_DIR, REPO_ROOT } from './paths.js';
export { seededRandom } from './random.js';
export { shipLines, type ShipLinesOptions } from './ship-lines.js';
export {
  canonicalRequest,
  startSigV4Proxy,
  verifySigV4,
  type ReceivedRequest,
  type SigV4Credentials,
  type SigV4Proxy,
  type SigV4ProxyOptions,
  type Verdict,
  type VerifyOptions,
} from './sigv4.js';
export { deadLetterReports, deletePrefix, emptyBucket, ensureBucket, listKeys, readDownloadLines, readGzipObjects, readObject } from './s3.js';
export { emptyQueues, queueDepth } from './sqs.js';
export { formatSpread, median, percentile, percentiles, spread, type Percentiles, type Spread } from './stats.js';
export { readSuiteResults, SUITE_RESULTS_DIR, writeSuiteResults, type SuiteResults, type SuiteRow } from './suite-results.js';
export { GENERATOR_VERSION, gzipChunks, MB, syntheticLog, writeGzipLog } from './synthetic-log.js';
