/**
 * Reads serverless.yml itself (CloudFormation short-form tags included), independent of `sls`.
 *
 * @example
 * stageParam(readServerlessYml(), 'prod', 'retentionDays');   // the stage's value, else default's
 */
import yaml from 'js-yaml';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../paths.js';

const shortForms = [
  'Ref',
  'Sub',
  'GetAtt',
  'Join',
  'Select',
  'Split',
  'If',
  'Equals',
  'ImportValue',
  'FindInMap',
  'GetAZs',
  'Base64',
  'Not',
  'And',
  'Or',
  'Condition',
];
const CFN_SCHEMA = yaml.DEFAULT_SCHEMA.extend(
  shortForms.flatMap((name) => {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    return (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${name}`, { kind, construct: (data: unknown) => ({ [key]: data }) }));
  }),
);

export interface ServerlessYml {
  service: string;
  params: Record<string, Record<string, unknown>>;
  provider: Record<string, unknown>;
  functions: Record<string, Record<string, unknown>>;
}

export function readServerlessYml(): ServerlessYml {
  return yaml.load(readFileSync(path.join(REPO_ROOT, 'serverless.yml'), 'utf8'), { schema: CFN_SCHEMA }) as ServerlessYml;
}

/** `${param:name}` for `stage`: the stage's value, else `default`'s. */
export function stageParam(config: ServerlessYml, stage: string, name: string): unknown {
  return config.params[stage]?.[name] ?? config.params['default']?.[name];
}
