/**
 * The signer answers a user waiting on a page: its bundle stays small so cold starts stay short
 * (issue 4: ≤ 500 KB). Built exactly as `sls package` builds it (serverless.yml custom.esbuild).
 * What has broken it before: a module of shared/core with top-level classic-zod schemas (esbuild
 * keeps top-level calls of every module the barrel re-exports, and classic zod is ~450 KB) —
 * schemas use shared/core/zod.ts (zod/mini) instead.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../../testkit/index.js';
import { readServerlessYml } from '../../../../testkit/stack/index.js';

describe('signer bundle', () => {
  it('stays under 500 KB with the deploy settings, without classic zod', async () => {
    const o = (readServerlessYml() as unknown as { custom: { esbuild: Record<string, any> } }).custom.esbuild;
    const result = await build({
      entryPoints: [path.join(REPO_ROOT, 'functions', 'signer', 'handler.ts')],
      outfile: path.join(REPO_ROOT, '.local', 'signer-bundle-test.mjs'),
      bundle: true,
      minify: o['minify'],
      target: o['target'],
      platform: o['platform'],
      format: o['format'],
      external: o['exclude'],
      banner: o['banner'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'))!;
    expect(code.contents.length).toBeLessThanOrEqual(500_000);
    const bundled = Object.entries(Object.values(result.metafile.outputs).find((out) => out.entryPoint)!.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([file]) => file);
    expect(bundled.filter((f) => /node_modules\/zod\/v4\/(classic|locales\/(?!en\.))/.test(f))).toEqual([]);
  });
});
