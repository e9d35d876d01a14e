export { dataViewRequestBody, putDataView } from './data-view.js';
export { putIndexPattern } from './index-pattern.js';
export { DashboardsRequestError, DashboardsUnavailableError, type DashboardsOptions } from './request.js';
