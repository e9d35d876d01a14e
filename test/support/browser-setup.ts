/**
 * Global setup of the `browser` project. It names the run (`inject('viewerRun')`): the test files
 * of one run share the viewer's fixture jobs on the local stack, each shipped once
 * (testkit/viewer/stack-jobs.ts). Against the stack (the default backend) it also does what the
 * integration project's setup does: the stack up, its host paused while the tests run the
 * functions themselves.
 */
import type { TestProject } from 'vitest/node';
import { backendKind } from '../../testkit/viewer/index.js';
import integrationSetup from './global-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    viewerRun: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  project.provide('viewerRun', Date.now().toString(36));
  return backendKind() === 'stack' ? integrationSetup(project) : undefined;
}
