/**
 * `sls package` runs, serialised across processes: serverless-esbuild builds in a shared
 * `.esbuild/` work folder, so two packagings at once (infra test + stack up) would trample
 * each other.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CfnTemplate } from './cfn.js';
import { withLock } from './lock.js';
import { childEnv, LOCAL_DIR, REPO_ROOT } from '../paths.js';

export const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';

/** Where `packageService(stage)` writes: `.serverless/` for ci (what the infra test reads), `.local/sls/<stage>` otherwise. */
export function packageDir(stage: string): string {
  return stage === 'ci' ? path.join(REPO_ROOT, '.serverless') : path.join(LOCAL_DIR, 'sls', stage);
}

export function templatePath(stage: string): string {
  return path.join(packageDir(stage), TEMPLATE_FILE);
}

export interface PackageOptions {
  /** Stage parameters overriding serverless.yml's (`sls package --param name=value`). */
  params?: Record<string, string>;
  /** Where to write (default {@link packageDir}). */
  dir?: string;
}

/** Runs `sls package --stage <stage>` offline; needs no AWS credentials. Throws with sls's message when it refuses. */
export async function packageService(stage: string, o: PackageOptions = {}): Promise<string> {
  const dir = o.dir ?? packageDir(stage);
  await withLock('sls-package', () => {
    const params = Object.entries(o.params ?? {}).map(([name, value]) => `--param=${name}=${value}`);
    const args = ['package', '--stage', stage, ...(stage === 'ci' && !o.dir ? [] : ['--package', dir]), ...params];
    execFileSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'sls'), args, {
      cwd: REPO_ROOT,
      env: childEnv({ SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' }),
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  });
  return path.join(dir, TEMPLATE_FILE);
}

/** The packaged template of `stage`, packaging first if it is missing or older than serverless.yml. */
export async function ensureTemplate(stage: string): Promise<CfnTemplate> {
  const file = templatePath(stage);
  const source = statSync(path.join(REPO_ROOT, 'serverless.yml')).mtimeMs;
  if (!existsSync(file) || statSync(file).mtimeMs < source) await packageService(stage);
  return readTemplate(file);
}

export function readTemplate(file: string): CfnTemplate {
  return JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate;
}
