/** The load run (issue 6): simulated jobs through the local stack, its figures and the invariant for every job. */
export { LoadBounds, LoadDefaults } from './constants.js';
export { renderLoadDoc, summaryLines } from './report.js';
export { LOAD_DATASET, runLoad } from './run.js';
export { RateClass, type JobPlan, type LoadOptions, type LoadReport, type LoadWindow, type MixOptions } from './types.js';
