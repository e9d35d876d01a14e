import rison, { type RisonValue } from 'rison-node';
import type { DashboardsKind } from '../cluster/constants.js';
import type { JobSummary } from '../contract/job-marker.js';
import { parseTraceparent } from '../contract/trace-context.js';

/**
 * Discover deep links (Kibana's, and OpenSearch Dashboards') and the data view / index pattern
 * they open. Discover keeps its state in the URL hash as two rison-encoded objects: `_g` (global:
 * time range, refresh) and `_a` (app: data view, query, columns, sort). The data view has a fixed
 * id, created by the deploy step (`deploy/es-setup.ts`), so links never depend on a lookup.
 */
export interface DataView {
  id: string;
  name: string;
  /** Index pattern: every joblogs data stream of the stage (`logs-<dataset>-<stage>`). */
  title: string;
  timeFieldName: '@timestamp';
}

export function defaultDataViewId(stage: string): string {
  return `joblogs-${stage}`;
}

export function joblogsDataView(stage: string, id = defaultDataViewId(stage)): DataView {
  return { id, name: `joblogs (${stage})`, title: `logs-mlplatform.*-${stage}`, timeFieldName: '@timestamp' };
}

/**
 * Lines carry their own timestamps (host clocks, buffering) and chunks are flushed after the
 * line was printed, so the window is widened on both sides of the job's recorded start and end.
 */
export const TIME_MARGIN_MS = 15 * 60 * 1000;
/** Discover's auto-refresh for a running job. */
export const LIVE_REFRESH_MS = 10_000;
/** Columns shown instead of the whole document. */
export const DISCOVER_COLUMNS = ['joblogs.source', 'log.level', 'message'] as const;

export interface DiscoverQuery {
  kibanaUrl: string;
  dataViewId: string;
  /** A KQL query. */
  kuery: string;
  from: string;
  /** An ISO time, or `now` for a running job (then Discover refreshes itself). */
  to: string;
}

/** `<kibana>/app/discover#/?_g=(…)&_a=(…)` for a KQL query over the data view. */
export function discoverUrl(q: DiscoverQuery): string {
  return discoverLink(q, { dataSource: { dataViewId: q.dataViewId, type: 'dataView' } });
}

/** Printed order: time first, then each source's own sequence (docs/chunk-contract.md). */
const PRINTED_ORDER: RisonValue = [
  ['@timestamp', 'asc'],
  ['event.sequence', 'asc'],
];

/** A Discover link of either UI: they differ only in how the app state (`_a`) names the data view. */
function discoverLink(q: DiscoverQuery, dataView: Record<string, RisonValue>): string {
  const g: RisonValue = { filters: [], refreshInterval: { pause: q.to !== 'now', value: LIVE_REFRESH_MS }, time: { from: q.from, to: q.to } };
  const a: RisonValue = {
    columns: [...DISCOVER_COLUMNS],
    ...dataView,
    filters: [],
    interval: 'auto',
    query: { language: 'kuery', query: q.kuery },
    sort: PRINTED_ORDER,
  };
  return `${q.kibanaUrl.replace(/\/+$/, '')}/app/discover#/?_g=${encodeRison(g)}&_a=${encodeRison(a)}`;
}

/** A KQL phrase query on one field; the value is quoted so `-`, `.` and `:` are literal. */
export function kqlPhrase(field: string, value: string): string {
  return `${field}:"${value.replace(/(["\\])/g, '\\$1')}"`;
}

export interface JobLinks {
  kibanaUrl: string;
  /** Null when the job recorded no (valid) traceparent. */
  kibanaTraceUrl: string | null;
}

/**
 * OpenSearch Dashboards' Discover link: the legacy `#/` form with the index pattern as `index`.
 * Dashboards before 2.10 open it as it is; from 2.10 Discover lives in the data explorer and
 * rewrites exactly this form into its own (`migrateUrlState`, src/plugins/discover/public/
 * migrate_state.ts), which is also the form Dashboards' own URL generator still produces.
 */
export function dashboardsDiscoverUrl(q: DiscoverQuery): string {
  return discoverLink(q, { index: q.dataViewId });
}

const DISCOVER_URL: Record<DashboardsKind, (q: DiscoverQuery) => string> = { kibana: discoverUrl, 'opensearch-dashboards': dashboardsDiscoverUrl };

/**
 * The job's lines, and every line of its trace (other jobs and services included), in Discover of
 * the stage's UI (`dashboards`: Kibana unless the cluster is OpenSearch; `kibanaUrl` is its base URL).
 */
export function jobDiscoverLinks(
  job: Pick<JobSummary, 'jobId' | 'startedAt' | 'endedAt' | 'traceparent'>,
  o: { kibanaUrl: string; dataViewId: string; dashboards?: DashboardsKind },
): JobLinks {
  const from = shift(job.startedAt, -TIME_MARGIN_MS);
  const to = job.endedAt ? shift(job.endedAt, TIME_MARGIN_MS) : 'now';
  const base = { kibanaUrl: o.kibanaUrl, dataViewId: o.dataViewId, from, to };
  const traceId = parseTraceparent(job.traceparent)?.traceId;
  const url = DISCOVER_URL[o.dashboards ?? 'kibana'];
  return {
    kibanaUrl: url({ ...base, kuery: kqlPhrase('labels.job_id', job.jobId) }),
    kibanaTraceUrl: traceId ? url({ ...base, kuery: kqlPhrase('trace.id', traceId) }) : null,
  };
}

function shift(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

/**
 * rison, then percent-encoded like Kibana's own URLs: everything `encodeURIComponent` escapes
 * except the characters rison is built from (`:`, `,`, `@`, `$`), which are legal in a fragment.
 */
export function encodeRison(value: RisonValue): string {
  return encodeURIComponent(rison.encode(value)).replace(/%3A/gi, ':').replace(/%2C/gi, ',').replace(/%40/gi, '@').replace(/%24/g, '$');
}
