/** The shapes of docs/logs-api.md and docs/downloads.md, as the viewer reads them. */

export type JobStatus = 'running' | 'complete';
export type Stream = 'stdout' | 'stderr';
export type Terminator = '\n' | '\r\n' | '\r' | '';

/** One item of `GET /jobs/{jobId}/lines`. */
export interface LogLine {
  cursor: string;
  source: string;
  line: number | null;
  seq: number;
  time: string;
  /** Capture time: the merged order's first key (absent from an API before it was added). */
  captured?: string;
  stream: Stream;
  level: string | null;
  text: string;
  end: Terminator;
  tags?: string[];
  part?: number;
  span?: number;
  /** An event's line numbers when they are not consecutive (another stream printed between them). */
  lines?: number[];
  redraws?: number;
}

export interface LinesPage {
  jobId: string;
  status: JobStatus;
  lines: LogLine[];
  prev: string | null;
  next: string;
  hasBefore: boolean;
  hasAfter: boolean;
}

export interface SearchMatch {
  cursor: string;
  source: string;
  line: number | null;
  seq: number;
  time: string;
  stream: Stream;
  level: string | null;
  text: string;
  highlights: Array<[number, number]>;
}

export interface SearchPage {
  jobId: string;
  total: number;
  totalExact: boolean;
  matches: SearchMatch[];
  next: string | null;
}

export interface SourceSummary {
  source: string;
  status: 'running' | 'final';
  lines: number;
  exitCode: number | null;
}

/** An error position of the summary: a cursor of the unfiltered view, and where the line is. */
export interface LinePosition {
  cursor: string;
  source: string;
  line: number | null;
  seq: number;
  /** Absent from the summary of a job archived before the API listed them. */
  captured?: string;
  stream?: Stream;
  level?: string | null;
}

export interface JobSummary {
  jobId: string;
  owner: string;
  team: string;
  status: JobStatus;
  exitCode: number | null;
  signal: string | null;
  startedAt: string;
  endedAt: string | null;
  lineCount: number;
  sources: SourceSummary[];
  levels: Record<string, number>;
  errors: { total: number; first: LinePosition | null; positions: LinePosition[] };
  links: { download: string };
  /** Answered from the job's archive: its lines have aged out of the search cluster (docs/archive.md). */
  archive?: boolean;
}

export interface RedrawStates {
  jobId: string;
  states: Array<{ time: string; text: string }>;
}

/** The signer's answer (docs/downloads.md). */
export interface DownloadLinks {
  status: 'complete' | 'running' | 'not-found';
  downloadUrl: string | null;
  expiresAt: string | null;
  kibanaUrl: string | null;
  kibanaTraceUrl: string | null;
  detail?: string;
}

/** The filters of a view: comma-joined lists in requests. */
export interface Filters {
  source: string[];
  stream: Stream[];
  level: string[];
}

/** Where a page request starts: exactly one of the API's five anchors. */
export type PageAnchor = { after: string } | { before: string } | { around: string } | { from: number } | { at: string };
