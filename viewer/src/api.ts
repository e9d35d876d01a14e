/**
 * The logs API client (docs/logs-api.md) and the signer (docs/downloads.md): every request carries
 * `Authorization: Bearer <token>`; the token never goes into a URL. Refusals become `ApiError`s.
 */
import { ApiError, MissingTokenError } from './errors.js';
import type { DownloadLinks, Filters, JobSummary, LinesPage, PageAnchor, RedrawStates, SearchPage } from './types.js';

/** The host's way of handing over a token: a fixed one, or a callback (called again after a 401, for refresh). */
export type TokenSource = () => string | null | Promise<string | null>;

export interface LinesRequest {
  anchor: PageAnchor;
  filters: Filters;
  limit?: number;
  /** Long-poll seconds (only with `after`). */
  wait?: number;
  signal?: AbortSignal;
}

export interface SearchRequest {
  q: string;
  filters: Filters;
  after?: string;
  limit?: number;
  signal?: AbortSignal;
}

export class LogsApi {
  private cachedToken: Promise<string> | null = null;

  constructor(
    private readonly base: string,
    private readonly jobId: string,
    private readonly tokenSource: TokenSource,
  ) {}

  summary(signal?: AbortSignal): Promise<JobSummary> {
    return this.get<JobSummary>(this.jobPath(''), {}, signal);
  }

  lines(request: LinesRequest): Promise<LinesPage> {
    const params: Record<string, string | number | undefined> = { ...filterParams(request.filters), limit: request.limit, wait: request.wait };
    for (const [name, value] of Object.entries(request.anchor)) params[name] = value as string | number;
    return this.get<LinesPage>(this.jobPath('/lines'), params, request.signal);
  }

  search(request: SearchRequest): Promise<SearchPage> {
    const params = { ...filterParams(request.filters), q: request.q, after: request.after, limit: request.limit };
    return this.get<SearchPage>(this.jobPath('/search'), params, request.signal);
  }

  /** The earlier states of a bar the API collapsed; `source` because a cursor of one source's order is a position any source may have. */
  redraws(cursor: string, source: string, signal?: AbortSignal): Promise<RedrawStates> {
    return this.get<RedrawStates>(this.jobPath('/redraws'), { cursor, source }, signal);
  }

  /** The signer's answer; `path` is the summary's `links.download` (relative to the API base). */
  downloadLinks(path: string, signal?: AbortSignal): Promise<DownloadLinks> {
    return this.get<DownloadLinks>(path, {}, signal);
  }

  private jobPath(suffix: string): string {
    return `/jobs/${encodeURIComponent(this.jobId)}${suffix}`;
  }

  private async get<T>(path: string, params: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<T> {
    const url = new URL(this.base.replace(/\/+$/, '') + path);
    for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
    let response = await this.send(url, await this.token(), signal);
    // A 401 may only mean the token expired: ask the host once for a fresh one.
    if (response.status === 401) response = await this.send(url, await this.token(true), signal);
    // 202: a finished job whose lines are being fetched from the archive (docs/archive.md) — an answer to ask for again.
    if (!response.ok || response.status === 202) throw await toApiError(response);
    return (await response.json()) as T;
  }

  /** The host's token, asked for once and again only after a 401 (`fresh`). */
  private token(fresh = false): Promise<string> {
    if (fresh || !this.cachedToken) {
      this.cachedToken = Promise.resolve(this.tokenSource()).then((token) => {
        if (!token) throw new MissingTokenError('no token');
        return token;
      });
      this.cachedToken.catch(() => (this.cachedToken = null));
    }
    return this.cachedToken;
  }

  private async send(url: URL, token: string, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal, cache: 'no-store' });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new ApiError({ status: 0, code: 'NETWORK', message: 'network error', cause });
    }
  }
}

function filterParams(filters: Filters): Record<string, string | undefined> {
  return {
    source: filters.source.join(',') || undefined,
    stream: filters.stream.join(',') || undefined,
    level: filters.level.join(',') || undefined,
  };
}

async function toApiError(response: Response): Promise<ApiError> {
  const retry = Number(response.headers.get('Retry-After'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return new ApiError({ status: response.status, code: body.error?.code ?? 'UNKNOWN', message: body.error?.message ?? response.statusText, retryAfter });
  } catch (cause) {
    return new ApiError({ status: response.status, code: 'UNKNOWN', message: response.statusText || 'no error body', retryAfter, cause });
  }
}

/** True when `error` is an aborted request (a newer view replaced it), not a failure. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
