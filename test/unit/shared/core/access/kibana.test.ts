import { decode } from 'rison-node';
import { describe, expect, it } from 'vitest';
import { discoverUrl, encodeRison, jobDiscoverLinks, joblogsDataView, kqlPhrase } from '../../../../../shared/core/access/kibana.js';

const KIBANA = 'https://kibana.dev.example.test';

/** Splits a Discover link back into its base and decoded `_g` / `_a` state. */
function parseDiscover(url: string): { base: string; g: any; a: any } {
  const [base, hash] = url.split('#') as [string, string];
  expect(hash.startsWith('/?')).toBe(true);
  const params = new Map(
    hash
      .slice(2)
      .split('&')
      .map((p) => p.split('=') as [string, string]),
  );
  expect([...params.keys()]).toEqual(['_g', '_a']);
  return { base, g: decode(decodeURIComponent(params.get('_g')!)), a: decode(decodeURIComponent(params.get('_a')!)) };
}

const finished = {
  jobId: 'job-42',
  startedAt: '2026-11-25T10:00:00.000Z',
  endedAt: '2026-11-25T11:30:00.000Z',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
};

describe('jobDiscoverLinks', () => {
  it('opens Discover on the stage data view, filtered to the job, over its run time with 15 min margins', () => {
    const { kibanaUrl } = jobDiscoverLinks(finished, { kibanaUrl: `${KIBANA}/`, dataViewId: 'joblogs-dev' });
    const { base, g, a } = parseDiscover(kibanaUrl);
    expect(base).toBe(`${KIBANA}/app/discover`);
    expect(g).toEqual({
      filters: [],
      refreshInterval: { pause: true, value: 10000 },
      time: { from: '2026-11-25T09:45:00.000Z', to: '2026-11-25T11:45:00.000Z' },
    });
    expect(a).toEqual({
      columns: ['joblogs.source', 'log.level', 'message'],
      dataSource: { dataViewId: 'joblogs-dev', type: 'dataView' },
      filters: [],
      interval: 'auto',
      query: { language: 'kuery', query: 'labels.job_id:"job-42"' },
      sort: [
        ['@timestamp', 'asc'],
        ['event.sequence', 'asc'],
      ],
    });
  });

  it('gives the trace form the same window and data view, filtered by the trace id of the traceparent', () => {
    const { kibanaUrl, kibanaTraceUrl } = jobDiscoverLinks(finished, { kibanaUrl: KIBANA, dataViewId: 'joblogs-dev' });
    const job = parseDiscover(kibanaUrl);
    const trace = parseDiscover(kibanaTraceUrl!);
    expect(trace.g).toEqual(job.g);
    expect(trace.a).toEqual({ ...job.a, query: { language: 'kuery', query: 'trace.id:"4bf92f3577b34da6a3ce929d0e0e4736"' } });
  });

  it('follows a running job up to now, refreshing every 10 s', () => {
    const { g } = parseDiscover(jobDiscoverLinks({ ...finished, endedAt: undefined }, { kibanaUrl: KIBANA, dataViewId: 'v' }).kibanaUrl);
    expect(g.time).toEqual({ from: '2026-11-25T09:45:00.000Z', to: 'now' });
    expect(g.refreshInterval).toEqual({ pause: false, value: 10000 });
  });

  it('has no trace link when the job recorded no valid traceparent', () => {
    expect(jobDiscoverLinks({ ...finished, traceparent: undefined }, { kibanaUrl: KIBANA, dataViewId: 'v' }).kibanaTraceUrl).toBeNull();
    expect(jobDiscoverLinks({ ...finished, traceparent: '00-zz-yy-01' }, { kibanaUrl: KIBANA, dataViewId: 'v' }).kibanaTraceUrl).toBeNull();
  });
});

describe('discoverUrl / encodeRison', () => {
  it('keeps rison punctuation readable and percent-encodes the rest (quotes, spaces, #, &)', () => {
    const encoded = encodeRison({ query: 'a:"b c" & #d', t: true });
    expect(encoded).toBe("(query:'a:%22b%20c%22%20%26%20%23d',t:!t)");
    expect(decode(decodeURIComponent(encoded))).toEqual({ query: 'a:"b c" & #d', t: true });
  });

  it('is a URL whose hash survives parsing', () => {
    const url = discoverUrl({ kibanaUrl: KIBANA, dataViewId: 'joblogs-dev', kuery: kqlPhrase('labels.job_id', 'run.7_a-b'), from: 'now-1h', to: 'now' });
    expect(new URL(url).origin).toBe(KIBANA);
    expect(parseDiscover(new URL(url).href).a.query.query).toBe('labels.job_id:"run.7_a-b"');
  });

  it('escapes quotes and backslashes inside a KQL phrase', () => {
    expect(kqlPhrase('message', 'say "hi" \\o/')).toBe('message:"say \\"hi\\" \\\\o/"');
  });
});

describe('joblogsDataView', () => {
  it('covers every joblogs data stream of the stage, on @timestamp, with a fixed id', () => {
    expect(joblogsDataView('prod')).toEqual({ id: 'joblogs-prod', name: 'joblogs (prod)', title: 'logs-mlplatform.*-prod', timeFieldName: '@timestamp' });
    expect(joblogsDataView('dev', 'custom-id').id).toBe('custom-id');
  });
});

describe('jobDiscoverLinks for OpenSearch Dashboards', () => {
  const DASHBOARDS = 'https://search-logs-abc.eu-west-1.es.amazonaws.com/_dashboards';

  it('opens Discover the way Dashboards names an index pattern (`index`), same window, query, columns and sort', () => {
    const kibana = jobDiscoverLinks(finished, { kibanaUrl: KIBANA, dataViewId: 'joblogs-dev' });
    const links = jobDiscoverLinks(finished, { kibanaUrl: `${DASHBOARDS}/`, dataViewId: 'joblogs-dev', dashboards: 'opensearch-dashboards' });
    const { base, g, a } = parseDiscover(links.kibanaUrl);
    const k = parseDiscover(kibana.kibanaUrl);
    expect(base).toBe(`${DASHBOARDS}/app/discover`);
    expect(g).toEqual(k.g);
    const { dataSource: _dataSource, ...rest } = k.a;
    expect(a).toEqual({ ...rest, index: 'joblogs-dev' });
    expect(parseDiscover(links.kibanaTraceUrl!).a.query).toEqual({ language: 'kuery', query: 'trace.id:"4bf92f3577b34da6a3ce929d0e0e4736"' });
  });
});
