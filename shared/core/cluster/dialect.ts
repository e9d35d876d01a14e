import { KIND_TRAITS } from './kinds.js';
import type { ClusterKind } from './constants.js';

/**
 * A search body as the cluster of `kind` spells it. The logs API builds Elasticsearch's DSL; the
 * one word OpenSearch spells differently is the highlighter's bound on analysed text
 * (`max_analyzed_offset` there is `max_analyzer_offset`, OpenSearch 2.2+:
 * https://docs.opensearch.org/latest/search-plugins/searching-data/highlight/). Bodies are
 * rewritten, never mutated.
 */
export function searchBodyFor(kind: ClusterKind, body: Record<string, unknown>): Record<string, unknown> {
  if (KIND_TRAITS[kind].product === 'elasticsearch') return body;
  const highlight = body['highlight'] as Record<string, unknown> | undefined;
  if (!highlight || !('max_analyzed_offset' in highlight)) return body;
  const { max_analyzed_offset: bound, ...rest } = highlight;
  return { ...body, highlight: { ...rest, max_analyzer_offset: bound } };
}
