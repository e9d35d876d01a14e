import type { AssemblerDeps } from './deps.js';

/**
 * Whether the job is still registered. `joblogs admin purge` deletes the registration first: a
 * build that was running then must not write the job's lines back after the purge removed them.
 */
export async function stillRegistered(jobId: string, deps: Pick<AssemblerDeps, 'jobs'>): Promise<boolean> {
  return (await deps.jobs.readRegistration(jobId)) !== undefined;
}
