import { describe, expect, it } from 'vitest';
import { authorizeJob } from '../../../../functions/http/authorize.js';
import { ForbiddenError, UnauthorizedError } from '../../../../functions/http/errors.js';
import { TokenKeysUnavailableError, TokenRejectedError, type VerifyToken } from '../../../../shared/adapters/auth/jwt-verifier.js';
import { createLogger } from '../../../../shared/adapters/logger.js';
import { MemoryBucket } from '../../../../testkit/fakes/memory-bucket.js';

const silent = createLogger('test', { write: () => true } as unknown as NodeJS.WritableStream);
const tokens: Record<string, { sub: string; teams?: string[] }> = {
  alice: { sub: 'alice' },
  carol: { sub: 'carol', teams: ['vision'] },
  mallory: { sub: 'mallory', teams: ['evil'] },
};
const verifyToken: VerifyToken = async (token) => {
  if (token === 'keys-down') throw new TokenKeysUnavailableError('JWKS unreachable');
  const claims = tokens[token];
  if (!claims) throw new TokenRejectedError('signature verification failed');
  return claims;
};

function bucketWithJob(): MemoryBucket {
  const bucket = new MemoryBucket();
  bucket.register('job-1', 'alice', 'vision');
  // What a malicious producer can still write about its own job: claims that are never read for access.
  bucket.put(
    'jobs/v1/job-1/main/running.json',
    JSON.stringify({ version: 1, jobId: 'job-1', source: 'main', status: 'running', owner: 'mallory', team: 'evil', startedAt: '2026-11-25T10:00:00.000Z' }),
  );
  return bucket;
}
const decide = (bucket: MemoryBucket, token: string, jobId = 'job-1') =>
  authorizeJob({ jobId, token }, { verifyToken, jobs: bucket.jobStore(), teamsClaim: 'teams', logger: silent });

describe('authorizeJob: the one access decision of the HTTP functions', () => {
  it('lets the registered owner and members of the registered team in', async () => {
    const bucket = bucketWithJob();
    expect(await decide(bucket, 'alice')).toMatchObject({ found: true, via: 'owner', record: { registration: { owner: 'alice' }, job: { jobId: 'job-1' } } });
    expect(await decide(bucket, 'carol')).toMatchObject({ found: true, via: 'team' });
  });

  it("refuses whoever the job's own markers name, when the registration names someone else", async () => {
    await expect(decide(bucketWithJob(), 'mallory')).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('knows no job that no launcher registered, whatever markers and chunks exist', async () => {
    const bucket = new MemoryBucket();
    bucket.put(
      'jobs/v1/job-2/main/running.json',
      JSON.stringify({ version: 1, jobId: 'job-2', source: 'main', status: 'running', startedAt: '2026-11-25T10:00:00.000Z' }),
    );
    expect(await decide(bucket, 'mallory', 'job-2')).toEqual({ found: false, caller: { subject: 'mallory', teams: ['evil'] } });
  });

  it('answers 401 for a refused token before it reads anything, and lets a key outage through as transient', async () => {
    const bucket = bucketWithJob();
    bucket.unavailable.add('registry/');
    await expect(decide(bucket, 'forged')).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(decide(bucket, 'keys-down')).rejects.toBeInstanceOf(TokenKeysUnavailableError);
  });
});
