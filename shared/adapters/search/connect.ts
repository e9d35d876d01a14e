import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { ClusterAuth, type ClusterKind } from '../../core/cluster/index.js';
import { parseEsCredentials } from './credentials.js';
import { secretSigner, sigV4Signer, type RequestSigner } from './signers.js';
import { httpTransport, type ClusterTransport } from './transport.js';

/** Where a function's cluster is and how it proves who it is (shared/config/env.ts `clusterConfig`). */
export interface ClusterConnection {
  kind: ClusterKind;
  node: string;
  auth: ClusterAuth;
  /** With `auth: iam`: the region the domain's SigV4 scope names. */
  region?: string | undefined;
  requestTimeoutMs: number;
}

/** What a transport needs of a {@link ClusterConnection}: not its kind (every kind speaks the same HTTP). */
type TransportTarget = Omit<ClusterConnection, 'kind'> & Partial<Pick<ClusterConnection, 'kind'>>;

/**
 * The transport for the credentials a request arrived with: with `secret`, built again only when
 * `@middy/ssm` hands out a different secret (rotation); with `iam`, one transport whose signer
 * takes the role's credentials from the SDK's default chain (in Lambda: the function's role,
 * refreshed by the provider before they expire).
 *
 * @example
 * const transportFor = clusterTransports(config.cluster);
 * const send = clusterBulkSender(transportFor(context.esCredentials));
 */
export function clusterTransports(
  c: TransportTarget,
  o: { credentials?: Parameters<typeof sigV4Signer>[0]['credentials'] } = {},
): (secret: unknown) => ClusterTransport {
  if (c.auth === ClusterAuth.iam) {
    const transport = httpTransport({ node: c.node, sign: iamSigner(c, o.credentials), requestTimeoutMs: c.requestTimeoutMs });
    return () => transport;
  }
  let current: { fingerprint: string; transport: ClusterTransport } | undefined;
  return (secret) => {
    const fingerprint = JSON.stringify(secret ?? null);
    if (current?.fingerprint !== fingerprint) {
      const sign = secretSigner(secret === undefined ? undefined : parseEsCredentials(secret));
      current = { fingerprint, transport: httpTransport({ node: c.node, sign, requestTimeoutMs: c.requestTimeoutMs }) };
    }
    return current.transport;
  };
}

function iamSigner(c: TransportTarget, credentials: Parameters<typeof sigV4Signer>[0]['credentials'] | undefined): RequestSigner {
  if (!c.region) throw new Error('clusterTransports: auth iam needs the region');
  return sigV4Signer({ region: c.region, credentials: credentials ?? defaultProvider() });
}
