/**
 * The signer's links (docs/downloads.md): the download button asks for a fresh short-lived URL
 * on each click; the Kibana link is fetched once.
 */
import type { LogsApi } from './api.js';
import type { JobSummary } from './types.js';

/** Starts the browser's download of the job's file; returns the signer's sentence when there is no file (yet). */
export async function downloadLog(api: LogsApi, summary: JobSummary): Promise<string | null> {
  const links = await api.downloadLinks(summary.links.download);
  if (!links.downloadUrl) return links.detail ?? 'No download file yet.';
  const anchor = document.createElement('a');
  anchor.href = links.downloadUrl;
  anchor.download = `${summary.jobId}.log.gz`;
  anchor.rel = 'noopener';
  anchor.click();
  return links.detail ?? null;
}

/** Points `link` at Kibana's view of the job, or hides it when the signer gives none. */
export async function fillKibanaLink(api: LogsApi, summary: JobSummary, link: HTMLAnchorElement): Promise<void> {
  try {
    const links = await api.downloadLinks(summary.links.download);
    link.hidden = !links.kibanaUrl;
    if (links.kibanaUrl) link.href = links.kibanaUrl;
  } catch {
    // A convenience: without the signer the viewer still works.
    link.hidden = true;
  }
}
