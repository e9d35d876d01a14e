export { LogsStatus, decideAccess, downloadMatches, planDownload, teamsFromClaim } from './decide.js';
export type { Access, Caller, DownloadFile, DownloadPlan, PlanOptions } from './decide.js';
export {
  DISCOVER_COLUMNS,
  LIVE_REFRESH_MS,
  TIME_MARGIN_MS,
  dashboardsDiscoverUrl,
  defaultDataViewId,
  discoverUrl,
  encodeRison,
  jobDiscoverLinks,
  joblogsDataView,
  kqlPhrase,
} from './kibana.js';
export type { DataView, DiscoverQuery, JobLinks } from './kibana.js';
