/** The log viewer's entry point: defines `<joblogs-viewer>` (once) and exports its parts. */
import { JoblogsViewer } from './element.js';

export { JoblogsViewer, EVENTS } from './element.js';
export { LogsApi, type TokenSource } from './api.js';
export { ApiError, MissingTokenError, ViewerError } from './errors.js';
export type * from './types.js';

if (!customElements.get('joblogs-viewer')) customElements.define('joblogs-viewer', JoblogsViewer);
