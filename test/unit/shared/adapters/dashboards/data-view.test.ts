/**
 * What the setup step sends Kibana and OpenSearch Dashboards. Neither can run here, so a loopback
 * server records the request (it does not pretend to be either beyond answering with a status)
 * and the test checks it against the documented APIs:
 * https://www.elastic.co/guide/en/kibana/current/data-views-api-create.html,
 * https://docs.opensearch.org/latest/dashboards/management/index-patterns/ (saved objects API)
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DashboardsRequestError, DashboardsUnavailableError, putDataView, putIndexPattern } from '../../../../../shared/adapters/dashboards/index.js';
import { secretSigner } from '../../../../../shared/adapters/search/signers.js';
import { joblogsDataView } from '../../../../../shared/core/access/kibana.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: any;
}

async function withRecorder<T>(status: number, responseBody: string, run: (url: string, requests: Recorded[]) => Promise<T>): Promise<T> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(status, { 'content-type': 'application/json' }).end(responseBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('putDataView', () => {
  it('POSTs the stage data view with a fixed id, override and kbn-xsrf, using basic auth', async () => {
    await withRecorder(200, '{"data_view":{"id":"joblogs-dev"}}', async (url, requests) => {
      await expect(putDataView({ url: `${url}/`, sign: secretSigner({ username: 'joblogs_setup', password: 'pw' }) }, joblogsDataView('dev'))).resolves.toEqual(
        { id: 'joblogs-dev' },
      );
      expect(requests).toHaveLength(1);
      const [r] = requests as [Recorded];
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/api/data_views/data_view');
      expect(r.headers['kbn-xsrf']).toBeTruthy();
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['authorization']).toBe(`Basic ${Buffer.from('joblogs_setup:pw').toString('base64')}`);
      expect(r.body).toEqual({
        data_view: { id: 'joblogs-dev', name: 'joblogs (dev)', title: 'logs-mlplatform.*-dev', timeFieldName: '@timestamp', allowNoIndex: true },
        override: true,
      });
    });
  });

  it('uses an API key as such, and the space prefix when a space is given', async () => {
    await withRecorder(200, '{}', async (url, requests) => {
      await putDataView({ url, sign: secretSigner({ apiKey: 'aWQ6a2V5' }), space: 'ml-platform' }, joblogsDataView('prod', 'logs-prod'));
      expect(requests[0]!.url).toBe('/s/ml-platform/api/data_views/data_view');
      expect(requests[0]!.headers['authorization']).toBe('ApiKey aWQ6a2V5');
      expect(requests[0]!.body.data_view.id).toBe('logs-prod');
    });
  });

  it('fails permanently on 4xx and transiently on 5xx, with Kibana’s answer', async () => {
    await withRecorder(403, '{"message":"missing privilege"}', async (url) => {
      await expect(putDataView({ url, sign: secretSigner(undefined) }, joblogsDataView('dev'))).rejects.toThrow(DashboardsRequestError);
    });
    await withRecorder(503, 'Kibana server is not ready yet', async (url) => {
      await expect(putDataView({ url, sign: secretSigner(undefined) }, joblogsDataView('dev'))).rejects.toThrow(/HTTP 503.*not ready/);
      await expect(putDataView({ url, sign: secretSigner(undefined) }, joblogsDataView('dev'))).rejects.toThrow(DashboardsUnavailableError);
    });
  });
});

describe('putIndexPattern (OpenSearch Dashboards)', () => {
  it('POSTs the saved object with the fixed id, overwrite and osd-xsrf, and the tenant when given', async () => {
    await withRecorder(200, '{"id":"joblogs-dev","type":"index-pattern"}', async (url, requests) => {
      await expect(
        putIndexPattern({ url: `${url}/_dashboards/`, sign: secretSigner({ username: 'admin', password: 'pw' }), space: 'global' }, joblogsDataView('dev')),
      ).resolves.toEqual({ id: 'joblogs-dev' });
      const [r] = requests as [Recorded];
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/_dashboards/api/saved_objects/index-pattern/joblogs-dev?overwrite=true');
      expect(r.headers['osd-xsrf']).toBeTruthy();
      expect(r.headers['securitytenant']).toBe('global');
      expect(r.headers['authorization']).toBe(`Basic ${Buffer.from('admin:pw').toString('base64')}`);
      expect(r.body).toEqual({ attributes: { title: 'logs-mlplatform.*-dev', timeFieldName: '@timestamp' } });
    });
  });

  it('fails permanently on 4xx with the answer', async () => {
    await withRecorder(403, '{"message":"no permissions for [indices:data/write/index]"}', async (url) => {
      await expect(putIndexPattern({ url, sign: secretSigner(undefined) }, joblogsDataView('dev'))).rejects.toThrow(DashboardsRequestError);
    });
  });
});
