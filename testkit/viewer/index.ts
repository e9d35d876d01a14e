/** The log viewer's test and benchmark support: the backends its browser tests run against, and headless Chromium. */
export { backendKind, BACKENDS, startBackend, type BackendKind, type BackendOptions, type LogsBackend, type RunningJob } from './backend.js';
export { ARTIFACTS_DIR, launchBrowser, ViewerPage, type ScreenRow } from './browser.js';
