/** The viewer's API client against the tests' backend: the token's life cycle and typed refusals. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBackend, type LogsBackend } from '../../testkit/viewer/index.js';
import { LogsApi } from '../../viewer/src/api.js';
import { ApiError, MissingTokenError, describeError } from '../../viewer/src/errors.js';

let backend: LogsBackend;
let job: string;

beforeAll(async () => {
  backend = await startBackend({ run: inject('viewerRun') });
  job = await backend.multiSourceJob();
});

afterAll(() => backend?.close());

describe('LogsApi', () => {
  it('asks the host for a token once, and for a fresh one after a 401', async () => {
    const good = await backend.apiToken();
    const handed: string[] = [];
    const tokens = ['expired-token', good];
    const api = new LogsApi(backend.apiBase, job, () => {
      handed.push(tokens[handed.length] ?? good);
      return handed[handed.length - 1]!;
    });
    expect((await api.summary()).jobId).toBe(job);
    await api.lines({ anchor: { after: 'start' }, filters: { source: [], stream: [], level: [] }, limit: 1 });
    expect(handed).toEqual(['expired-token', good]);
  });

  it('turns a refusal into an ApiError with the code, and a sentence a person can read', async () => {
    const api = new LogsApi(backend.apiBase, 'no-such-job', () => backend.apiToken());
    const error = await api.summary().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND', transient: false });
    expect(describeError(error, 'no-such-job')).toBe('No job named “no-such-job” (NOT_FOUND).');
  });

  it('says so when the host gave no token, without sending a request', async () => {
    const api = new LogsApi(backend.apiBase, job, () => null);
    const error = await api.summary().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingTokenError);
    expect(describeError(error, job)).toBe('Not signed in: the page gave the log viewer no token.');
  });

  it('keeps 503s transient, with the Retry-After it was given', async () => {
    await backend.interruptNextRequest(503);
    const error = await new LogsApi(backend.apiBase, job, () => backend.apiToken()).summary().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: 'UNAVAILABLE', transient: true });
    expect((error as ApiError).retryAfter).toBeGreaterThanOrEqual(1);
  });
});
