export { clusterBulkSender, type BulkSender } from './bulk-sender.js';
export { clusterTransports, type ClusterConnection } from './connect.js';
export { authorizationHeader, EsCredentialsError, parseEsCredentials, type EsAuth } from './credentials.js';
export { clusterLogSearch, type LogSearch, type SearchAnswer } from './log-search.js';
export { secretSigner, sigV4Signer, type OutgoingRequest, type RequestSigner, type SigV4Options } from './signers.js';
export { errorReason, httpTransport, isOk, type ClusterAnswer, type ClusterCall, type ClusterTransport, type TransportOptions } from './transport.js';
