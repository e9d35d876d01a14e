import type { DataView as StageDataView } from '../../core/access/kibana.js';
import { postDashboards, storedId, type DashboardsOptions } from './request.js';

export function dataViewRequestBody(view: StageDataView): unknown {
  return {
    data_view: {
      id: view.id,
      name: view.name,
      title: view.title,
      timeFieldName: view.timeFieldName,
      // The stage's data streams appear with their first document, possibly after this runs.
      allowNoIndex: true,
    },
    override: true,
  };
}

/**
 * Creates or replaces the stage's Kibana data view; resolves with the id Kibana stored. Kibana's
 * data views API (https://www.elastic.co/guide/en/kibana/current/data-views-api-create.html):
 * `override: true` replaces the view with the same id, so running the setup again is harmless;
 * state-changing calls need the `kbn-xsrf` header (any value).
 */
export async function putDataView(o: DashboardsOptions, view: StageDataView): Promise<{ id: string }> {
  const text = await postDashboards(o, {
    path: `${o.space ? `/s/${encodeURIComponent(o.space)}` : ''}/api/data_views/data_view`,
    headers: { 'kbn-xsrf': 'joblogs-setup' },
    body: dataViewRequestBody(view),
    what: `Kibana data view ${view.id}`,
  });
  return { id: storedId(text, (p) => p?.data_view?.id) ?? view.id };
}
