/** HTTP stand-ins of the cloud around the signer: an HTTP API in front of a handler and a JWT issuer. */
export { startHttpApi, type HttpApi, type HttpApiHandler } from './http-api.js';
export { startIssuer, type LocalIssuer, type TokenOptions } from './jwt-issuer.js';
