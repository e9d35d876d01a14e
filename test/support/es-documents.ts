/**
 * Reading back what the indexer wrote, over plain HTTP: the official client refuses `_source`s
 * with a `__proto__` key (secure-json-parse), and a test must see exactly what a user would.
 */
import { ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import type { LocalStack } from './stack.js';

export interface JobDocument {
  _id: string;
  _source: Record<string, any>;
}

async function esRequest(stack: Pick<LocalStack, 'info'>, method: string, path: string, body?: unknown): Promise<any> {
  const { url, username, password } = stack.info.elasticsearch;
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

export async function refresh(stack: Pick<LocalStack, 'info'>, dataStream: string): Promise<void> {
  await esRequest(stack, 'POST', `/${dataStream}/_refresh?ignore_unavailable=true`);
}

const jobQuery = (jobId: string) => ({ term: { 'labels.job_id': jobId } });

export async function countJobDocuments(stack: Pick<LocalStack, 'info'>, dataStream: string, jobId: string): Promise<number> {
  await refresh(stack, dataStream);
  const out = await esRequest(stack, 'POST', `/${dataStream}/_count?ignore_unavailable=true`, { query: jobQuery(jobId) });
  return out.count as number;
}

const PAGE = 5_000;

/**
 * A job's documents in printed order (source, then `event.sequence`), every page of them, or
 * with `edge` only the first and last `edge` ones (for jobs of a million lines).
 */
export async function jobDocuments(stack: Pick<LocalStack, 'info'>, dataStream: string, jobId: string, options: { edge?: number } = {}): Promise<JobDocument[]> {
  await refresh(stack, dataStream);
  const sort = (order: 'asc' | 'desc') => [{ 'joblogs.source': order }, { 'event.sequence': order }];
  const page = async (order: 'asc' | 'desc', size: number, after?: unknown[]): Promise<JobDocument[]> =>
    (await esRequest(stack, 'POST', `/${dataStream}/_search?ignore_unavailable=true`, {
      size,
      query: jobQuery(jobId),
      sort: sort(order),
      track_total_hits: false,
      ...(after ? { search_after: after } : {}),
    })).hits.hits;
  if (options.edge !== undefined) {
    const first = await page('asc', options.edge);
    const last = (await page('desc', options.edge)).reverse();
    const seen = new Set(first.map((d) => d._id));
    return [...first, ...last.filter((d) => !seen.has(d._id))];
  }
  const all: JobDocument[] = [];
  for (let after: unknown[] | undefined; ; ) {
    const hits = (await page('asc', PAGE, after)) as Array<JobDocument & { sort: unknown[] }>;
    all.push(...hits);
    if (hits.length < PAGE) return all;
    after = hits.at(-1)!.sort;
  }
}

/** Number of leaf fields in the mappings of every backing index of `dataStream` (the largest). */
export async function mappingFieldCount(stack: Pick<LocalStack, 'info'>, dataStream: string): Promise<number> {
  const out = await esRequest(stack, 'GET', `/${dataStream}/_mapping`);
  return Math.max(...Object.values(out as Record<string, { mappings: Record<string, unknown> }>).map((m) => leafFields(m.mappings['properties'])));
}

export function leafFields(properties: unknown): number {
  let n = 0;
  for (const field of Object.values((properties ?? {}) as Record<string, Record<string, unknown>>)) {
    n += field['properties'] ? leafFields(field['properties']) : 1;
    if (field['fields']) n += Object.keys(field['fields'] as object).length;
  }
  return n;
}

/** Every dead-letter report under `prefix`, parsed, with its object key. */
export async function deadLetterReports(stack: Pick<LocalStack, 's3' | 'bucket'>, prefix = 'dead-letter/indexer/'): Promise<Array<{ objectKey: string; report: Record<string, any> }>> {
  const keys: string[] = [];
  for (let token: string | undefined; ; ) {
    const listed = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(listed.Contents ?? []).map((o) => o.Key!));
    if (!listed.IsTruncated) break;
    token = listed.NextContinuationToken;
  }
  return Promise.all(
    keys.map(async (objectKey) => {
      const out = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: objectKey }));
      return { objectKey, report: JSON.parse(await out.Body!.transformToString()) as Record<string, any> };
    }),
  );
}

export { eventually } from './eventually.js';
