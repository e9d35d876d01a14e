/**
 * Bundles the CLI into one file, `dist/joblogs.mjs` (`npm run build:cli`): node + that file is
 * all a container needs. Tests call {@link buildCli} before spawning the bin.
 */
import { build, type BuildOptions } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_BUNDLE = path.join(ROOT, 'dist', 'joblogs.mjs');

/** Source text without whitespace and comments, and so ASCII only: what V8 stores in one byte per character. */
const COMPACT = { minifyWhitespace: true, legalComments: 'none', charset: 'ascii' } as const satisfies BuildOptions;

/**
 * One ESM file for Node 24 from `entry`, as every Node bundle of ours is built (the CLI, the
 * benchmarks' children). The AWS SDK has CommonJS dependencies that call require(): the bundle
 * gets one. `shebang` makes it directly executable.
 *
 * Whitespace and comments are left out ({@link COMPACT}): V8 keeps a module's whole source text
 * in memory, and one non-ASCII character in any comment (a dependency's "…" or "—") makes it store
 * all of it as UTF-16, twice the bytes (docs/shipper-footprint.md). Names are kept (error names
 * come from class names); a linked source map (`<outfile>.map`) maps stack traces back under
 * `node --enable-source-maps`.
 */
export async function bundleForNode(entry: string, outfile: string, o: { shebang?: boolean; define?: BuildOptions['define'] } = {}): Promise<string> {
  const require = "import { createRequire as __joblogsCreateRequire } from 'node:module';\nconst require = __joblogsCreateRequire(import.meta.url);";
  await build({
    ...(o.define ? { define: o.define } : {}),
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'warning',
    ...COMPACT,
    sourcemap: 'linked',
    banner: { js: `${o.shebang ? '#!/usr/bin/env node\n' : ''}${require}` },
  });
  return outfile;
}

export async function buildCli(outfile: string = CLI_BUNDLE): Promise<string> {
  // The shipper's framing worker runs a program of its own, embedded as a string (CommonJS, which
  // is what `new Worker(source, { eval: true })` runs): a few kilobytes instead of the whole CLI.
  const worker = await build({
    entryPoints: [path.join(ROOT, 'shared', 'shipper', 'framing-worker-main.ts')],
    write: false,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    logLevel: 'warning',
    ...COMPACT,
  });
  return bundleForNode(path.join(ROOT, 'cli', 'entry.ts'), outfile, {
    shebang: true,
    define: { JOBLOGS_FRAMING_WORKER_SOURCE: JSON.stringify(worker.outputFiles[0]!.text) },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(`built ${path.relative(process.cwd(), await buildCli())}`);
}
