/**
 * Global setup of the `integration` project: the local stack must be up. `npm test` starts it
 * before vitest; a bare `vitest run --project integration` starts it here (and leaves it
 * running for the next run; `npm run stack:down` stops it). The tests run the functions
 * themselves, so a running host (`npm run stack:up`) is paused for the run and resumed after it.
 * Tests read it with `inject('stack')` or `loadStack()` (testkit/stack).
 */
import type { TestProject } from 'vitest/node';
import { pauseHost } from '../../testkit/stack/host.js';
import { ensureStackUp, type StackInfo } from '../../testkit/stack/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const resumeHost = await pauseHost();
  const stack = await ensureStackUp();
  project.provide('stack', stack);
  return resumeHost;
}
