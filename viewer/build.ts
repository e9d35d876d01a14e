/**
 * Bundles the viewer into one ES module, `viewer/dist/joblogs-viewer.js`, and reports its size
 * (raw and gzip).
 *
 *   tsx viewer/build.ts            # minified bundle + size
 *   tsx viewer/build.ts --dev      # unminified, with an inline source map
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const VIEWER_DIR = path.dirname(fileURLToPath(import.meta.url));
export const BUNDLE_PATH = path.join(VIEWER_DIR, 'dist', 'joblogs-viewer.js');

export interface BundleSize {
  raw: number;
  gzip: number;
}

/** Builds the bundle and returns its size. */
export async function buildViewer(options: { dev?: boolean } = {}): Promise<BundleSize> {
  await build({
    entryPoints: [path.join(VIEWER_DIR, 'src', 'index.ts')],
    outfile: BUNDLE_PATH,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: !options.dev,
    sourcemap: options.dev ? 'inline' : false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const bytes = readFileSync(BUNDLE_PATH);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

export function formatSize(size: BundleSize): string {
  return `${(size.raw / 1024).toFixed(1)} KiB raw, ${(size.gzip / 1024).toFixed(1)} KiB gzip`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const size = await buildViewer({ dev: process.argv.includes('--dev') });
  console.log(`viewer/dist/joblogs-viewer.js: ${formatSize(size)}`);
}
