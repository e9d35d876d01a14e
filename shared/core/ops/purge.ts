/** An object version to delete (a delete marker is one too: every version goes, so nothing of the job is left to restore). */
export interface ObjectVersion {
  key: string;
  versionId?: string | undefined;
  size?: number | undefined;
}

/** Everything of a job that a purge removes, by kind. */
export interface PurgePlan {
  jobId: string;
  registration: ObjectVersion[];
  markers: ObjectVersion[];
  chunks: ObjectVersion[];
  download: ObjectVersion[];
  /** Incomplete multipart uploads of the download file (an assembly in progress). */
  uploads: Array<{ key: string; uploadId: string }>;
  checkpoints: ObjectVersion[];
  deadLetters: ObjectVersion[];
  /** Documents of the job in the stage's log data streams and chunk records. */
  documents: number;
  chunkRecords: number;
}

export const PURGE_KINDS = ['registration', 'download', 'markers', 'chunks', 'checkpoints', 'deadLetters'] as const;
export type PurgeKind = (typeof PURGE_KINDS)[number];

export interface PurgeCounts {
  objects: Record<PurgeKind, number>;
  bytes: number;
  uploads: number;
  documents: number;
  chunkRecords: number;
}

/** What a plan (or what is left after a purge) amounts to. */
export function purgeCounts(plan: PurgePlan): PurgeCounts {
  const objects = Object.fromEntries(PURGE_KINDS.map((kind) => [kind, plan[kind].length])) as Record<PurgeKind, number>;
  const bytes = PURGE_KINDS.reduce((n, kind) => n + plan[kind].reduce((m, v) => m + (v.size ?? 0), 0), 0);
  return { objects, bytes, uploads: plan.uploads.length, documents: plan.documents, chunkRecords: plan.chunkRecords };
}

/** True when the plan finds nothing of the job anywhere. */
export function nothingLeft(plan: PurgePlan): boolean {
  const c = purgeCounts(plan);
  return Object.values(c.objects).every((n) => n === 0) && c.uploads === 0 && c.documents === 0 && c.chunkRecords === 0;
}

/**
 * The audit record of a purge, kept in the bucket (`audit/purge/…`): who removed what, when and
 * why — keys and counts only, never content (a purge is often for a leaked secret).
 */
export interface PurgeAudit {
  version: 1;
  jobId: string;
  stage: string;
  reason: string;
  by: string;
  at: string;
  removed: PurgeCounts;
  keys: Record<PurgeKind, string[]>;
  /** What a second look found afterwards: all zero when nothing of the job is left. */
  left: PurgeCounts;
}

export function purgeAudit(o: { plan: PurgePlan; left: PurgePlan; stage: string; reason: string; by: string; at: Date }): PurgeAudit {
  const keys = Object.fromEntries(PURGE_KINDS.map((kind) => [kind, [...new Set(o.plan[kind].map((v) => v.key))]])) as Record<PurgeKind, string[]>;
  return {
    version: 1,
    jobId: o.plan.jobId,
    stage: o.stage,
    reason: o.reason,
    by: o.by,
    at: o.at.toISOString(),
    removed: purgeCounts(o.plan),
    keys,
    left: purgeCounts(o.left),
  };
}

/** Where the audit record of a purge goes. */
export function purgeAuditKey(jobId: string, at: Date): string {
  return `audit/purge/${at.toISOString().slice(0, 10).replace(/-/g, '/')}/${jobId}-${at.toISOString().replace(/[:.]/g, '')}.json`;
}
