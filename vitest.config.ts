import { defineConfig } from 'vitest/config';

/**
 * Four projects, runnable apart: `vitest run --project unit|infra|integration|browser`.
 * - unit: pure code and fakes, no services.
 * - infra: the packaged CloudFormation template (`sls package --stage ci`, offline) and the
 *   local stack's fidelity to it.
 * - integration: the real handler against the local stack (Elasticsearch + moto), which
 *   test/support/global-setup.ts brings up (testkit/stack) if `npm run stack:up` has not.
 * - browser: the log viewer in headless Chromium (docs/viewer.md), against the local stack's
 *   real logs API (or the reference server of viewer/dev, JOBLOGS_VIEWER_BACKEND=reference);
 *   test/support/browser-setup.ts brings the stack up as for integration.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // A few unit tests push megabytes through the real framer/indexer code: 5 s (the default)
          // is too little on a 2-core machine busy with a search cluster beside it.
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 300_000,
          // Both files package with `sls`, serialised by a lock; running them side by side only adds waiting.
          fileParallelism: false,
          // Projects run one after the other: infra's local-stack checks and the integration
          // tests share the stack's queue, and ES wants the CPU to itself.
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // One Elasticsearch, one bucket, one queue: files must not interleave.
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/browser-setup.ts'],
          testTimeout: 90_000,
          // What a person waits for goes through the real pipeline and a shared machine's Elasticsearch.
          expect: { poll: { timeout: 10_000 } },
          // The first file to need the 1M-line job ships and indexes it (~2 min; the later files reuse it).
          hookTimeout: 900_000,
          // One Chromium per file, and one local stack: files side by side would only compete for 2 cores.
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
