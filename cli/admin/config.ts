import { Option, type Command } from 'commander';
import type { EsAuth } from '../../shared/adapters/search/index.js';
import { CLUSTER_AUTHS, ClusterAuth } from '../../shared/core/cluster/index.js';
import { ConfigError } from '../../shared/core/errors.js';
import * as z from '../../shared/core/zod.js';

/** Options every `joblogs admin` command takes (flags, then environment). */
export interface AdminFlags {
  stage?: string;
  region?: string;
  bucket?: string;
  esUrl?: string;
  esCredentialsParam?: string;
  clusterAuth?: string;
  forcePathStyle?: boolean;
  json?: boolean;
  /** False with `--no-progress`. */
  progress?: boolean;
}

export function addAdminOptions(command: Command): Command {
  const options = [
    new Option('--stage <stage>', 'the stage (environment) to work on: its stack joblogs-<stage>').env('JOBLOGS_STAGE'),
    new Option('--region <region>', 'AWS region of the stage').env('AWS_REGION'),
    new Option('--bucket <name>', "the stage's log bucket (default: the stack output, else joblogs-<stage>-logs)").env('JOBLOGS_BUCKET'),
    new Option('--es-url <url>', "the stage's Elasticsearch (default: the stack output EsNode)").env('JOBLOGS_ES_URL'),
    new Option(
      '--es-credentials-param <name>',
      'SSM SecureString with {"username","password"} or {"apiKey"} (else JOBLOGS_ES_USERNAME/JOBLOGS_ES_PASSWORD or JOBLOGS_ES_API_KEY)',
    ).env('JOBLOGS_ES_CREDENTIALS_PARAM'),
    new Option('--cluster-auth <how>', 'secret: the credentials above; iam: SigV4 with your AWS identity (Amazon OpenSearch Service)')
      .env('JOBLOGS_CLUSTER_AUTH')
      .choices(CLUSTER_AUTHS),
    new Option('--force-path-style', 'path-style S3 URLs (moto, MinIO)').env('JOBLOGS_S3_FORCE_PATH_STYLE'),
    new Option('--json', 'print the result as one JSON document on stdout'),
    new Option('--no-progress', 'no progress bar on stderr'),
  ];
  for (const option of options) command.addOption(option);
  return command;
}

/** Stage names as the functions accept them (shared/config/env.ts). */
const STAGE = /^[a-z0-9_]{1,32}$/;

const AdminConfigSchema = z.object({
  stage: z.string().check(z.regex(STAGE, 'must be 1–32 of [a-z0-9_] (--stage or JOBLOGS_STAGE)')),
  region: z.optional(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1'))),
  bucket: z.optional(z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'))),
  esUrl: z.optional(z.url()),
  esCredentialsParam: z.optional(z.string().check(z.startsWith('/'))),
  clusterAuth: z.enum(CLUSTER_AUTHS as [ClusterAuth, ...ClusterAuth[]]),
});

export interface AdminConfig extends z.infer<typeof AdminConfigSchema> {
  esAuth: EsAuth | undefined;
  forcePathStyle: boolean;
  json: boolean;
  progress: boolean;
}

/**
 * The one validated configuration of an admin command: flags and their variables, plus the
 * Elasticsearch credentials from `JOBLOGS_ES_API_KEY` or `JOBLOGS_ES_USERNAME`/`JOBLOGS_ES_PASSWORD`.
 * Throws one {@link ConfigError} listing every problem.
 */
export function adminConfig(flags: AdminFlags, env: NodeJS.ProcessEnv): AdminConfig {
  const problems: string[] = [];
  const parsed = z.safeParse(AdminConfigSchema, {
    stage: flags.stage ?? '',
    region: flags.region,
    bucket: flags.bucket,
    esUrl: flags.esUrl,
    esCredentialsParam: flags.esCredentialsParam,
    clusterAuth: flags.clusterAuth ?? ClusterAuth.secret,
  });
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${i.message}`));
  const apiKey = env['JOBLOGS_ES_API_KEY'];
  const username = env['JOBLOGS_ES_USERNAME'];
  const password = env['JOBLOGS_ES_PASSWORD'];
  if (apiKey && (username || password)) problems.push('JOBLOGS_ES_API_KEY and JOBLOGS_ES_USERNAME/JOBLOGS_ES_PASSWORD are both set: choose one');
  if (Boolean(username) !== Boolean(password)) problems.push('JOBLOGS_ES_USERNAME and JOBLOGS_ES_PASSWORD go together');
  if (flags.clusterAuth === ClusterAuth.iam && !flags.region) problems.push('--cluster-auth iam needs --region (or AWS_REGION): the SigV4 scope');
  if (problems.length > 0 || !parsed.success) throw new ConfigError(`Invalid joblogs admin configuration: ${problems.join('; ')}`, { problems });
  const esAuth: EsAuth | undefined = apiKey ? { apiKey } : username && password ? { username, password } : undefined;
  return { ...parsed.data, esAuth, forcePathStyle: flags.forcePathStyle === true, json: flags.json === true, progress: flags.progress !== false };
}

/** A whole number within bounds, from a flag's text; throws a ConfigError naming the flag. */
export function wholeNumber(flag: string, value: string | undefined, o: { min: number; max: number; default: number }): number {
  if (value === undefined) return o.default;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < o.min || n > o.max)
    throw new ConfigError(`${flag} must be a whole number from ${o.min} to ${o.max}, got ${JSON.stringify(value)}`, {
      problems: [`${flag}: ${o.min}–${o.max}`],
    });
  return n;
}
