/** The cost model (docs/cost.md): list prices as parameters, one job-hour item by item, CloudWatch Logs beside it. */
export { chunksPerHour, cloudWatchJobHour, jobHourCost, type CostBreakdown, type CostItem, type MeasuredCosts, type Policy, type Workload } from './model.js';
export { LIST_PRICES, type Prices } from './prices.js';
