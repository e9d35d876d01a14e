import { describe, expect, it } from 'vitest';
import { loadSignerConfig } from '../../../../shared/config/signer-config.js';
import { ConfigError } from '../../../../shared/core/errors.js';

const env = {
  STAGE: 'dev',
  LOG_BUCKET: 'joblogs-dev-logs',
  ASSEMBLE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/joblogs-dev-assemble',
  JWT_ISSUER: 'https://idp.example.test/realms/ml',
  JWT_AUDIENCE: 'joblogs-ui, platform-cli',
  UI_ORIGIN: 'https://ml.example.test',
  KIBANA_URL: 'https://kibana.dev.example.test/',
};

describe('loadSignerConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadSignerConfig(env)).toEqual({
      stage: 'dev',
      logBucket: 'joblogs-dev-logs',
      jobPrefix: 'jobs/',
      downloadPrefix: 'downloads/',
      assembleQueueUrl: env.ASSEMBLE_QUEUE_URL,
      jwt: { issuer: env.JWT_ISSUER, audience: ['joblogs-ui', 'platform-cli'], jwksUrl: undefined, teamsClaim: 'teams' },
      uiOrigin: 'https://ml.example.test',
      kibana: { url: 'https://kibana.dev.example.test', dataViewId: 'joblogs-dev', dashboards: 'kibana' },
      urlExpirySeconds: 900,
      watch: { prefix: 'watch/', ttlMs: 90_000, everyMs: 20_000 },
      s3ForcePathStyle: false,
    });
  });

  it('refuses watch signals written less often than they run out', () => {
    expect(() => loadSignerConfig({ ...env, WATCH_SIGNAL_TTL_MS: '30000', WATCH_SIGNAL_EVERY_MS: '30000' })).toThrow(/WATCH_SIGNAL_EVERY_MS: must be shorter/);
  });

  it('lists every bad variable at once', () => {
    try {
      loadSignerConfig({
        ...env,
        STAGE: undefined,
        JWT_ISSUER: 'http://idp.example.test',
        UI_ORIGIN: 'https://ml.example.test/app',
        URL_EXPIRY_SECONDS: '7200',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['STAGE', 'JWT_ISSUER', 'UI_ORIGIN', 'URL_EXPIRY_SECONDS']);
    }
  });

  it('allows plain http only for a loopback issuer or key set', () => {
    expect(loadSignerConfig({ ...env, JWT_ISSUER: 'http://127.0.0.1:8080', JWT_JWKS_URL: 'http://localhost:8080/jwks' }).jwt.jwksUrl).toBe(
      'http://localhost:8080/jwks',
    );
    expect(() => loadSignerConfig({ ...env, JWT_JWKS_URL: 'http://keys.example.test/jwks' })).toThrow(/JWT_JWKS_URL/);
  });

  it('links to OpenSearch Dashboards when the cluster is OpenSearch, and refuses an unknown kind', () => {
    expect(loadSignerConfig({ ...env, CLUSTER_KIND: 'opensearch-2' }).kibana.dashboards).toBe('opensearch-dashboards');
    expect(loadSignerConfig({ ...env, CLUSTER_KIND: 'es-8' }).kibana.dashboards).toBe('kibana');
    expect(() => loadSignerConfig({ ...env, CLUSTER_KIND: 'solr' })).toThrow(/CLUSTER_KIND/);
  });
});
