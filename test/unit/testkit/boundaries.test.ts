/**
 * The support package's boundaries (STYLE.md, "one helper, one place"): testkit/ is imported by
 * tests, scripts, benchmarks and the load run and imports none of them; tests and benchmarks
 * take nothing from scripts/, and benchmarks nothing from test/. Read from the sources, so a
 * helper copied back into the wrong place fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../testkit/index.js';

const SOURCE = /\.(ts|mts|mjs|cjs|js)$/;

function sourcesUnder(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && SOURCE.test(e.name))
    .map((e) => path.relative(REPO_ROOT, path.join(e.parentPath, e.name)));
}

/** Every relative module a file imports (static, dynamic, re-export), as a path from the repository root. */
function importsOf(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+|require\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specifiers.map((s) => path.relative(REPO_ROOT, path.resolve(REPO_ROOT, path.dirname(file), s)));
}

/** `file → module` for every import of a file under `from` that lands in one of `forbidden`. */
function crossings(from: string, forbidden: readonly string[]): string[] {
  return sourcesUnder(from).flatMap((file) =>
    importsOf(file, readFileSync(path.join(REPO_ROOT, file), 'utf8'))
      .filter((target) => forbidden.includes(target.split(path.sep)[0]!))
      .map((target) => `${file} → ${target}`),
  );
}

describe('the support package and its users', () => {
  it('finds the imports of a file, relative ones only, resolved from the repository root', () => {
    const text = "import { a } from '../index.js';\nexport { b } from './b.js';\nconst c = await import('../../scripts/c.js');\nimport x from 'node:fs';";
    expect(importsOf('testkit/stack/lifecycle.ts', text)).toEqual(['testkit/index.js', 'testkit/stack/b.js', 'scripts/c.js']);
  });

  it('testkit imports nothing from test/, scripts/ or bench/', () => {
    expect(crossings('testkit', ['test', 'scripts', 'bench'])).toEqual([]);
  });

  it('tests and benchmarks import nothing from scripts/', () => {
    expect([...crossings('test', ['scripts']), ...crossings('bench', ['scripts'])]).toEqual([]);
  });

  it('benchmarks and scripts import nothing from test/, scripts nothing from bench/', () => {
    expect([...crossings('bench', ['test']), ...crossings('scripts', ['test', 'bench'])]).toEqual([]);
  });
});
