import type { Client } from '@elastic/elasticsearch';

/**
 * Empties a data stream so the next run `create`s without 409s. Deleting the stream is the clean
 * way; the local (integ-test) Elasticsearch distribution has no data-streams module (no
 * `DELETE /_data_stream`, 400/405), so there the stream is rolled over to a fresh write index and
 * its older backing indices are deleted (document ids are unique per backing index).
 */
export async function resetDataStream(es: Client, dataStream: string): Promise<void> {
  try {
    await es.indices.deleteDataStream({ name: dataStream }, { ignore: [404] });
    return;
  } catch (error) {
    const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
    if (status !== 400 && status !== 405) throw error;
  }
  const backing = (await es.cat.indices({ index: `.ds-${dataStream}-*`, h: 'index', format: 'json', expand_wildcards: 'all' })) as Array<{ index?: string }>;
  if (backing.length === 0) return;
  const { new_index: fresh } = await es.indices.rollover({ alias: dataStream });
  for (const { index } of backing) if (index && index !== fresh) await es.indices.delete({ index });
}
