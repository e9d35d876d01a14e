/** The cost model (docs/cost.md): list prices as parameters, one job-hour item by item, CloudWatch Logs beside it. */
export {
  chunksPerHour,
  cloudWatchJobHour,
  freshSecondsPerHour,
  jobHourCost,
  watchRequestsPerHour,
  type CostBreakdown,
  type CostItem,
  type MeasuredCosts,
  type Policy,
  type WatchPolicy,
  type Workload,
} from './model.js';
export { LIST_PRICES, type Prices } from './prices.js';
