/**
 * cfn-lint (the CloudFormation linter) in a venv of its own under `.local/`, installed on first
 * use so a clean machine (`.ci/run` → `npm test`) gets it without a separate step. Separate from
 * moto's venv: the two pin unrelated dependency trees.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { withLock } from './lock.js';
import { LOCAL_DIR } from '../paths.js';
import { ensureVenvTool } from './venv.js';

/** Pinned: a new release adds rules, and the infra tests should change only when we bump it. */
export const CFN_LINT_REQUIREMENT = 'cfn-lint==1.58.0';
const VENV = path.join(LOCAL_DIR, 'venv-cfn-lint');
const BIN = path.join(VENV, 'bin', 'cfn-lint');

/** One finding as `cfn-lint --format json` prints it. */
export interface CfnLintFinding {
  Rule: { Id: string; Description: string };
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Location: { Path?: Array<string | number> };
}

/** Creates the venv and installs cfn-lint unless it is there; returns the binary. */
export async function ensureCfnLint(): Promise<string> {
  if (existsSync(BIN)) return BIN;
  return withLock('venv-cfn-lint', () => ensureVenvTool({ venv: VENV, requirement: CFN_LINT_REQUIREMENT, bin: 'cfn-lint' }));
}

/** Lints one template for `regions`; exit codes 0/2/4/8 (by level) all mean "ran". */
export async function cfnLint(templateFile: string, regions = ['us-east-1']): Promise<CfnLintFinding[]> {
  const bin = await ensureCfnLint();
  const run = spawnSync(bin, ['--format', 'json', '--regions', ...regions, '--', templateFile], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.error) throw run.error;
  if (run.stdout.trim() === '') {
    if (run.status === 0) return [];
    throw new Error(`cfn-lint failed (${run.status}): ${run.stderr}`);
  }
  return JSON.parse(run.stdout) as CfnLintFinding[];
}
