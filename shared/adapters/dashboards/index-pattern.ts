import type { DataView as StageDataView } from '../../core/access/kibana.js';
import { postDashboards, storedId, type DashboardsOptions } from './request.js';

/**
 * Creates or replaces the stage's OpenSearch Dashboards index pattern (its saved objects API,
 * https://docs.opensearch.org/latest/dashboards/management/index-patterns/): the same fixed id
 * the Discover links name, `overwrite=true` so running the setup again is harmless. Dashboards
 * wants `osd-xsrf` on state-changing calls; a tenant (multi-tenancy of the security plugin) is
 * chosen with `securitytenant`.
 */
export async function putIndexPattern(o: DashboardsOptions, view: StageDataView): Promise<{ id: string }> {
  const text = await postDashboards(o, {
    path: `/api/saved_objects/index-pattern/${encodeURIComponent(view.id)}?overwrite=true`,
    headers: { 'osd-xsrf': 'joblogs-setup', ...(o.space ? { securitytenant: o.space } : {}) },
    body: { attributes: { title: view.title, timeFieldName: view.timeFieldName } },
    what: `OpenSearch Dashboards index pattern ${view.id}`,
  });
  return { id: storedId(text, (p) => p?.id) ?? view.id };
}
