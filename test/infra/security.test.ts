/**
 * Security checks on what we deploy (issue 6), over every resource of the generated template —
 * not only the ones test/infra/cloudformation.test.ts pins down by name, so resources added
 * later (download bucket, signer function) are held to the same rules:
 * cfn-lint finds no error; no policy allows a wildcard action, `NotAction` or a public principal;
 * every bucket blocks public access, is encrypted and refuses plain HTTP; every queue is
 * encrypted; secrets never appear in serverless.yml or the template, only SSM parameter names.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, writeSuiteResults, type SuiteRow } from '../../testkit/index.js';
import { cfnLint, CFN_LINT_REQUIREMENT, packageService, readTemplate, type CfnLintFinding, type CfnTemplate } from '../../testkit/stack/index.js';

let templateFile: string;
let template: CfnTemplate;
let templateText: string;
let findings: CfnLintFinding[];
const serverlessYml = readFileSync(path.join(REPO_ROOT, 'serverless.yml'), 'utf8');

const rows: SuiteRow[] = [];

beforeAll(async () => {
  templateFile = await packageService('ci');
  templateText = readFileSync(templateFile, 'utf8');
  template = readTemplate(templateFile);
  findings = await cfnLint(templateFile);
}, 300_000);

afterAll(() => {
  if (rows.length > 0) {
    writeSuiteResults({
      suite: 'security',
      title: 'Security and template checks (`sls package --stage ci`)',
      notes: [`Linter: ${CFN_LINT_REQUIREMENT}.`],
      rows,
    });
  }
});

/** Records what a check saw, then asserts it found nothing. */
function check(name: string, input: string, expected: string, problems: string[], seen: string): void {
  rows.push({ name, input, expected, observed: problems.length === 0 ? seen : problems.slice(0, 3).join('; '), pass: problems.length === 0 });
  expect(problems).toEqual([]);
}

const resourcesOf = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every policy statement anywhere in the template (identity and resource policies). */
function statements(): Array<{ where: string; s: Record<string, any> }> {
  const out: Array<{ where: string; s: Record<string, any> }> = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (typeof o['Effect'] === 'string' && ('Action' in o || 'NotAction' in o)) out.push({ where, s: o });
    for (const [k, v] of Object.entries(o)) walk(v, `${where}.${k}`);
  };
  walk(template.Resources, 'Resources');
  return out;
}

describe('the generated CloudFormation template', () => {
  it('passes cfn-lint without errors', () => {
    const errors = findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id} ${f.Message} at ${(f.Location.Path ?? []).join('/')}`);
    const warnings = findings.filter((f) => f.Level !== 'Error').map((f) => f.Rule.Id);
    check(
      'cfn-lint',
      'cfn-lint on the packaged template (us-east-1)',
      'no errors',
      errors,
      `0 errors, ${warnings.length} warning(s)/info${warnings.length ? ` (${[...new Set(warnings)].join(', ')})` : ''}`,
    );
  });

  it('allows no wildcard action, no NotAction and no public principal in any policy', () => {
    const all = statements();
    const problems: string[] = [];
    for (const { where, s } of all.filter(({ s }) => s['Effect'] === 'Allow')) {
      for (const action of asArray<unknown>(s['Action']))
        if (typeof action !== 'string' || action.includes('*')) problems.push(`${where}: Allow ${JSON.stringify(action)}`);
      if ('NotAction' in s) problems.push(`${where}: Allow with NotAction`);
      const principal = s['Principal'];
      if (principal === '*' || asArray((principal as Record<string, unknown> | undefined)?.['AWS']).includes('*'))
        problems.push(`${where}: Allow to every principal`);
    }
    expect(all.length).toBeGreaterThan(3);
    check(
      'iam-no-wildcards',
      `${all.length} policy statements (identity and resource policies)`,
      'no wildcard Allow action, no NotAction, no public principal',
      problems,
      `${all.filter(({ s }) => s['Effect'] === 'Allow').length} Allow statements, all with explicit actions`,
    );
  });

  it('blocks public access, encrypts and requires TLS on every bucket', () => {
    const buckets = resourcesOf('AWS::S3::Bucket');
    const policies = resourcesOf('AWS::S3::BucketPolicy').map(([, r]) => r.Properties as Record<string, any>);
    const problems: string[] = [];
    for (const [id, r] of buckets) {
      const p = (r.Properties ?? {}) as Record<string, any>;
      const block = p['PublicAccessBlockConfiguration'] ?? {};
      for (const flag of ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'])
        if (block[flag] !== true) problems.push(`${id}: ${flag} is not true`);
      const algorithm = p['BucketEncryption']?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.SSEAlgorithm;
      if (!['AES256', 'aws:kms', 'aws:kms:dsse'].includes(algorithm)) problems.push(`${id}: no default encryption`);
      const policy = policies.find((pp) => JSON.stringify(pp['Bucket']) === JSON.stringify({ Ref: id }));
      const tls = asArray<Record<string, any>>(policy?.['PolicyDocument']?.Statement).find(
        (s) =>
          s['Effect'] === 'Deny' &&
          s['Principal'] === '*' &&
          String(s['Condition']?.Bool?.['aws:SecureTransport']) === 'false' &&
          asArray(s['Resource']).length === 2,
      );
      if (!tls) problems.push(`${id}: no bucket policy denying non-TLS requests to the bucket and its objects`);
    }
    expect(buckets.length).toBeGreaterThan(0);
    check(
      'buckets-private-encrypted-tls',
      `${buckets.length} bucket(s): ${buckets.map(([id]) => id).join(', ')}`,
      'public access blocked, encrypted, TLS only',
      problems,
      'all four public-access blocks, SSE by default, Deny aws:SecureTransport=false',
    );
  });

  it('encrypts every queue', () => {
    const queues = resourcesOf('AWS::SQS::Queue');
    const problems = queues
      .filter(([, r]) => !(r.Properties?.['SqsManagedSseEnabled'] === true || r.Properties?.['KmsMasterKeyId']))
      .map(([id]) => `${id}: not encrypted`);
    check('queues-encrypted', `${queues.length} queue(s)`, 'SSE on every queue', problems, 'SQS-managed SSE on every queue');
  });
});

describe('secrets', () => {
  const SECRET_LITERAL = [
    /AKIA[0-9A-Z]{16}/,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    /\b(password|passwd|secret|token|api_?key)\b\s*[:=]\s*['"]?(?![$/{])[^\s'",}]{4,}/i,
    /\bxox[bp]-[0-9A-Za-z-]{10,}/,
    /"(?:username|password|apiKey)"\s*:/,
  ];

  it('appear as literals neither in serverless.yml nor in the template', () => {
    const problems: string[] = [];
    for (const [name, text] of [
      ['serverless.yml', serverlessYml],
      ['template', templateText],
    ] as const) {
      for (const pattern of SECRET_LITERAL) {
        const m = pattern.exec(text);
        if (m) problems.push(`${name}: ${m[0].slice(0, 40)}…`);
      }
    }
    check('no-secret-literals', 'serverless.yml and the packaged template', 'no key, password, token or private key literal', problems, 'none found');
  });

  it('reach functions only as SSM parameter names, fetched at run time', () => {
    const problems: string[] = [];
    const functions = resourcesOf('AWS::Lambda::Function');
    for (const [id, r] of functions) {
      const vars = (r.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      for (const [name, value] of Object.entries(vars)) {
        const text = JSON.stringify(value);
        if (/resolve:(ssm-secure|secretsmanager)/.test(text))
          problems.push(`${id}.${name}: a dynamic reference puts the secret value into the function configuration`);
        if (/PASSWORD|SECRET|TOKEN|API_?KEY|CREDENTIAL/i.test(name) && !(typeof value === 'string' && /^\/[\w./-]+$/.test(value)))
          problems.push(`${id}.${name}: not an SSM parameter name`);
      }
    }
    // `${ssm:…}` would be resolved by `sls package` and land, in clear, in the template.
    if (/\$\{ssm:/.test(serverlessYml.replace(/^\s*#.*$/gm, ''))) problems.push('serverless.yml resolves an SSM parameter at package time');
    const ssmStatements = statements().filter(({ s }) => asArray<string>(s['Action']).some((a) => a.startsWith('ssm:')));
    for (const { where, s } of ssmStatements)
      if (JSON.stringify(s['Resource']).includes(':parameter/*') || s['Resource'] === '*') problems.push(`${where}: reads every parameter`);
    expect(functions.length).toBeGreaterThan(0);
    check(
      'secrets-from-ssm',
      `${functions.length} function(s), their environment and SSM grants`,
      'secrets only as SSM parameter names, read at run time',
      problems,
      'credentials variables hold SSM parameter names; no package-time SSM resolution; SSM grants name single parameters',
    );
  });
});
