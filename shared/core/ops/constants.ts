/** The namespace of every joblogs metric; each carries the dimensions {@link MetricDimension}. */
export const METRICS_NAMESPACE = 'joblogs';

export const MetricDimension = {
  stage: 'Stage',
  function: 'Function',
  /** HTTP answers only: `2xx`, `4xx`, `5xx`. */
  statusClass: 'StatusClass',
} as const;

/** The `Function` dimension: the function's name in serverless.yml. */
export const MetricFunction = {
  indexer: 'indexer',
  assembler: 'assembler',
  signer: 'signer',
  logsApi: 'logs',
} as const;
export type MetricFunction = (typeof MetricFunction)[keyof typeof MetricFunction];

/** Every metric the functions publish (serverless.yml alarms and dashboard use these names). */
export const MetricName = {
  /** Documents created in Elasticsearch. */
  linesIndexed: 'LinesIndexed',
  /** Bytes of log read from chunks (uncompressed). */
  bytesIndexed: 'BytesIndexed',
  chunksIndexed: 'ChunksIndexed',
  /** Documents already there (409): a redelivery or a re-upload, never a second copy. */
  duplicates: 'Duplicates',
  /** Bulk items sent again after a 429/5xx or a failed request. */
  retriedItems: 'RetriedItems',
  /** Of those, refused with 429 (Elasticsearch pushing back). */
  esRejections: 'EsRejections',
  /** Documents Elasticsearch refused for good (mapping): in a dead-letter report. */
  documentsRejected: 'DocumentsRejected',
  /** Dead-letter reports written (permanent failures, acknowledged). */
  deadLetterReports: 'DeadLetterReports',
  /** Messages handed back to SQS (transient failures). */
  batchItemFailures: 'BatchItemFailures',
  /** Now − the chunk's start (its first line's capture time), per chunk indexed. */
  chunkLag: 'ChunkLag',
  downloadsAssembled: 'DownloadsAssembled',
  /** Gap markers written into download files (chunks that never arrived or could not be read). */
  gaps: 'Gaps',
  /** Assemblies that went on in a new invocation. */
  continuations: 'Continuations',
  /** HTTP answers of the signer and the logs API, by `StatusClass`. */
  answers: 'Answers',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];
