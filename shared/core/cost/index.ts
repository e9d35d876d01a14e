/** The cost model (docs/cost.md): list prices as parameters, one job-hour item by item, CloudWatch Logs beside it. */
export {
  ARCHIVE_BYTES_PER_RAW_BYTE,
  chunksPerHour,
  cloudWatchJobHour,
  freshSecondsPerHour,
  jobHourCost,
  storageTiers,
  watchRequestsPerHour,
  type CostBreakdown,
  type CostItem,
  type MeasuredCosts,
  type Policy,
  type StorageTiers,
  type WatchPolicy,
  type Workload,
} from './model.js';
export { LIST_PRICES, type Prices } from './prices.js';
