/** HTTP stand-ins of the cloud around the HTTP functions: an HTTP API in front of handlers, a JWT issuer, the stage's whole API. */
export { startHttpApi, type HttpApi, type HttpApiHandler, type HttpApiOptions } from './http-api.js';
export { startIssuer, type IssuerOptions, type LocalIssuer, type TokenOptions } from './jwt-issuer.js';
export { startLocalApi, type LocalApiOptions } from './local-api.js';
export { viewerPages, type ViewerPagesOptions } from './viewer-pages.js';
