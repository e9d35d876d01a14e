import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type middy from '@middy/core';
import ssm from '@middy/ssm';
import type { Context } from 'aws-lambda';
import { LRUCache } from 'lru-cache';
import { createJwtVerifier } from '../../shared/adapters/auth/jwt-verifier.js';
import { clusterTransports } from '../../shared/adapters/search/connect.js';
import { clusterLogSearch, type LogSearch } from '../../shared/adapters/search/log-search.js';
import { createLogger } from '../../shared/adapters/logger.js';
import { cachedJobStore } from '../../shared/adapters/s3/cached-job-store.js';
import { s3ArchiveStore } from '../../shared/adapters/s3/archive-store.js';
import { s3ChunkStore } from '../../shared/adapters/s3/chunk-store.js';
import { sqsAssembleQueue } from '../../shared/adapters/sqs/assemble-queue.js';
import type { ArchiveIndex } from '../../shared/core/archive/index.js';
import { s3JobStore } from '../../shared/adapters/s3/job-store.js';
import type { LogsApiConfig } from '../../shared/config/logs-api-config.js';
import { answerMetrics, MetricFunction } from '../../shared/core/ops/index.js';
import { authorizeJob } from '../http/authorize.js';
import { JobNotFoundError, RouteNotFoundError } from '../http/errors.js';
import { httpHandler, type HttpEvent, type HttpResult } from '../http/http-handler.js';
import { jsonResponse } from '../http/middlewares.js';
import { parseJobRequest } from '../http/request.js';
import type { LogsApiDeps } from './deps.js';
import { getJob } from './get-job.js';
import { getLines } from './get-lines.js';
import { getRedraws } from './get-redraws.js';
import type { JobView } from './job-view.js';
import { searchLines } from './search-lines.js';
import { s3WatchRecorder } from '../http/watch-recorder.js';

type LogsContext = Context & { esCredentials?: unknown };

/** The routes of the logs API (docs/logs-api.md), after the job part of the path. */
const ROUTES = { '': getJob, '/lines': getLines, '/search': searchLines, '/redraws': getRedraws } as const;
const ROUTE = /^\/jobs\/[^/]+(|\/lines|\/search|\/redraws)$/;

/**
 * Builds the logs API's handler: every route authorises the caller exactly as the signer does
 * (authorizeJob: the job's registration decides), then reads the stage's cluster with a
 * read-only identity (its own SSM parameter, fetched and cached by @middy/ssm; or its own role, IAM).
 */
export function createLogsApiHandler(config: LogsApiConfig, overrides: Partial<LogsApiDeps> = {}) {
  const logger = overrides.logger ?? createLogger('joblogs-logs-api');
  const s3 = new S3Client({ forcePathStyle: config.s3ForcePathStyle });
  const jobs = cachedJobStore(s3JobStore(s3, { bucket: config.logBucket, jobPrefix: config.jobPrefix }), { ttlMs: 30_000, maxJobs: 1000, now: Date.now });
  const verifyToken = createJwtVerifier({ issuer: config.jwt.issuer, audience: config.jwt.audience, jwksUrl: config.jwt.jwksUrl });
  const searchFor = searchPerCredentials(config);
  const chunks = s3ChunkStore(s3);
  const completeViews = new LRUCache<string, JobView>({ max: 1000, ttl: 5 * 60_000 });
  const archives = s3ArchiveStore(s3, { bucket: config.logBucket, downloadPrefix: config.downloadPrefix });
  // An index is ~100 bytes per 2 000 lines: bounded by bytes, not entries.
  const archiveIndexes = new LRUCache<string, ArchiveIndex>({
    maxSize: 32 * 1024 * 1024,
    sizeCalculation: (i) => 256 + i.members.length * 256,
    ttl: 60 * 60_000,
  });
  const assembly = config.assembleQueueUrl ? sqsAssembleQueue(new SQSClient({}), config.assembleQueueUrl) : undefined;
  const archiveRequests = new LRUCache<string, number>({ max: 10_000 });
  const watch = s3WatchRecorder(s3, { bucket: config.logBucket, watch: config.watch, logger });

  const handle = async (event: HttpEvent, context: LogsContext): Promise<HttpResult> => {
    const started = Date.now();
    const deps: LogsApiDeps = {
      config,
      verifyToken,
      jobs,
      search: searchFor(context.esCredentials),
      chunks,
      logger,
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      completeViews,
      archives,
      archiveIndexes,
      assembly,
      archiveRequests,
      watch,
      ...overrides,
    };
    const route = ROUTE.exec(event.rawPath ?? '');
    if (!route) throw new RouteNotFoundError('No such route; see docs/logs-api.md');
    const request = parseJobRequest(event, `GET /jobs/{jobId}${route[1]}`);
    const access = await authorizeJob(request, { verifyToken: deps.verifyToken, jobs: deps.jobs, teamsClaim: config.jwt.teamsClaim, logger });
    if (!access.found) throw new JobNotFoundError('No job with this id has been registered');
    const body = await ROUTES[route[1] as keyof typeof ROUTES](access, event.rawQueryString ?? '', deps);
    logger.info(
      {
        jobId: request.jobId,
        route: route[1] || '/',
        subject: access.caller.subject,
        via: access.via,
        durationMs: Date.now() - started,
        requestId: context.awsRequestId,
        ...answerMetrics(config.stage, MetricFunction.logsApi, 200, Date.now()),
      },
      'logs API request done',
    );
    return jsonResponse(200, body);
  };

  const handler = httpHandler(
    { uiOrigin: config.uiOrigin, logger, name: 'logs API', metrics: { stage: config.stage, fn: MetricFunction.logsApi } },
    handle as (event: HttpEvent, context: Context) => Promise<HttpResult>,
  );
  if (config.esReaderCredentialsParam) {
    // @middy/ssm caches per process under `cacheKey`: keyed by the parameter, so no other handler's credentials are ever handed out.
    const param = config.esReaderCredentialsParam;
    handler.use(ssm({ fetchData: { esCredentials: param }, setToContext: true, cacheKey: `ssm-${param}`, cacheExpiry: 15 * 60 * 1000 }) as middy.MiddlewareObj);
  }
  return handler;
}

/** One search adapter per transport: rebuilt only when SSM hands out new credentials (never with IAM). */
function searchPerCredentials(config: LogsApiConfig): (credentials: unknown) => LogSearch {
  const transportFor = clusterTransports(config.cluster);
  let current: { transport: unknown; search: LogSearch } | undefined;
  return (credentials) => {
    const transport = transportFor(credentials);
    if (current?.transport !== transport)
      current = { transport, search: clusterLogSearch(transport, { kind: config.cluster.kind, requestTimeoutMs: config.cluster.requestTimeoutMs }) };
    return current.search;
  };
}
