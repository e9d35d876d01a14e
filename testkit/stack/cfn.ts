/**
 * Small, pure readers of the CloudFormation template that `sls package` writes, so the local
 * stack is provisioned from the same source as AWS. Only the intrinsics our template uses are
 * resolved (Ref, Fn::GetAtt, Fn::Sub, Fn::Join), with local values; its conditions (Fn::If on the
 * stage's `ClusterAuth` parameter) by {@link resolveConditions}.
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: string; AllowedValues?: string[] }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The template as CloudFormation would apply it for these parameter values (defaults otherwise):
 * every `Fn::If` replaced by its chosen branch and every `Ref: AWS::NoValue` removed, so what a
 * role is granted can be read (and tested) for each stage setting.
 *
 * @example
 * const iam = resolveConditions(template, { ClusterAuth: 'iam' });
 */
export function resolveConditions(template: CfnTemplate, parameters: Record<string, string> = {}): CfnTemplate {
  const values = Object.fromEntries(Object.entries(template.Parameters ?? {}).map(([name, p]) => [name, parameters[name] ?? p.Default]));
  const memo = new Map<string, boolean>();
  const condition = (name: string): boolean => {
    if (!memo.has(name)) memo.set(name, evaluate(template.Conditions?.[name], values, condition));
    return memo.get(name)!;
  };
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const v = value as Record<string, unknown>;
    if (v['Ref'] === 'AWS::NoValue') return NO_VALUE;
    if (Array.isArray(v['Fn::If'])) {
      const [name, then, otherwise] = v['Fn::If'] as [string, unknown, unknown];
      return walk(condition(name) ? then : otherwise);
    }
    return Object.fromEntries(
      Object.entries(v)
        .map(([k, x]) => [k, walk(x)])
        .filter(([, x]) => x !== NO_VALUE),
    );
  };
  const { Conditions: _conditions, ...rest } = template;
  return walk(rest) as CfnTemplate;
}

function evaluate(expression: unknown, parameters: Record<string, string | undefined>, condition: (name: string) => boolean): boolean {
  const e = expression as Record<string, unknown> | undefined;
  const value = (x: unknown): unknown => (x && typeof x === 'object' && 'Ref' in x ? parameters[String((x as { Ref: unknown }).Ref)] : x);
  if (e && Array.isArray(e['Fn::Equals'])) return value(e['Fn::Equals'][0]) === value(e['Fn::Equals'][1]);
  if (e && Array.isArray(e['Fn::Not'])) return !evaluate(e['Fn::Not'][0], parameters, condition);
  if (e && typeof e['Condition'] === 'string') return condition(e['Condition']);
  throw new Error(`Cannot evaluate condition ${JSON.stringify(expression)} locally`);
}

/** What a `Ref` or `Fn::GetAtt` of a resource means locally. */
export interface LocalResolver {
  region: string;
  accountId: string;
  ref(logicalId: string): string | undefined;
  getAtt(logicalId: string, attribute: string): string | undefined;
}

export function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

export function resource(template: CfnTemplate, logicalId: string): CfnResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`Template has no resource ${logicalId}`);
  return found;
}

const PSEUDO: Record<string, (r: LocalResolver) => string> = {
  'AWS::Region': (r) => r.region,
  'AWS::AccountId': (r) => r.accountId,
  'AWS::Partition': () => 'aws',
  'AWS::URLSuffix': () => 'amazonaws.com',
};

function resolveName(name: string, r: LocalResolver): string {
  const pseudo = PSEUDO[name];
  if (pseudo) return pseudo(r);
  const [id, attr] = name.split('.', 2) as [string, string | undefined];
  const value = attr ? r.getAtt(id, attr) : r.ref(id);
  if (value === undefined) throw new Error(`Cannot resolve ${attr ? `${id}.${attr}` : id} locally`);
  return value;
}

/** Deeply replaces intrinsic functions with local values. */
export function resolveIntrinsics(value: unknown, r: LocalResolver): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, r));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [[key, arg]] = entries as [[string, unknown]];
    if (key === 'Ref') return resolveName(String(arg), r);
    if (key === 'Fn::GetAtt') {
      const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.', 2);
      return resolveName(`${id}.${attr}`, r);
    }
    if (key === 'Fn::Join') {
      const [sep, parts] = arg as [string, unknown[]];
      return (resolveIntrinsics(parts, r) as unknown[]).join(sep);
    }
    if (key === 'Fn::Sub') {
      const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
      const locals = resolveIntrinsics(vars, r) as Record<string, string>;
      return text.replace(/\$\{([^!}][^}]*)\}/g, (_, name: string) => locals[name] ?? resolveName(name, r));
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, r)]));
}

/** The logical id in `{ "Fn::GetAtt": [id, attr] }` or `{ "Ref": id }`. */
export function referencedLogicalId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v['Fn::GetAtt'])) return String(v['Fn::GetAtt'][0]);
    if (typeof v['Ref'] === 'string') return v['Ref'];
  }
  return undefined;
}

export interface EventSourceMappingSettings {
  functionLogicalId: string;
  queueLogicalId: string;
  batchSize: number;
  batchingWindowS: number;
  reportBatchItemFailures: boolean;
}

/** The SQS event source mapping of `functionLogicalId` (Lambda's defaults where a property is absent). */
export function readEventSourceMapping(template: CfnTemplate, functionLogicalId: string): EventSourceMappingSettings {
  for (const [, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
    const p = mapping.Properties ?? {};
    if (referencedLogicalId(p['FunctionName']) !== functionLogicalId) continue;
    const queueLogicalId = referencedLogicalId(p['EventSourceArn']);
    if (!queueLogicalId || resource(template, queueLogicalId).Type !== 'AWS::SQS::Queue') continue;
    return {
      functionLogicalId,
      queueLogicalId,
      batchSize: Number(p['BatchSize'] ?? 10),
      batchingWindowS: Number(p['MaximumBatchingWindowInSeconds'] ?? 0),
      reportBatchItemFailures: ((p['FunctionResponseTypes'] as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
    };
  }
  throw new Error(`No SQS event source mapping for ${functionLogicalId}`);
}

export interface FunctionSettings {
  logicalId: string;
  functionName: string;
  handler: string;
  timeoutS: number;
  memoryMb: number;
  /** Unresolved; pass through {@link resolveIntrinsics}. */
  environment: Record<string, unknown>;
}

export function readFunction(template: CfnTemplate, logicalId: string): FunctionSettings {
  const p = resource(template, logicalId).Properties ?? {};
  const env = (p['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  return {
    logicalId,
    functionName: String(p['FunctionName']),
    handler: String(p['Handler']),
    timeoutS: Number(p['Timeout'] ?? 3),
    memoryMb: Number(p['MemorySize'] ?? 128),
    environment: env,
  };
}

/** The HTTP API's route keys (`GET /jobs/{jobId}/lines`) whose integration invokes the function. */
export function httpRoutesOf(template: CfnTemplate, functionLogicalId: string): string[] {
  const integrations = new Set(
    resourcesOfType(template, 'AWS::ApiGatewayV2::Integration')
      .filter(([, r]) => referencedLogicalId(r.Properties?.['IntegrationUri']) === functionLogicalId)
      .map(([id]) => id),
  );
  return resourcesOfType(template, 'AWS::ApiGatewayV2::Route')
    .filter(([, r]) =>
      JSON.stringify(r.Properties?.['Target'] ?? null)
        .match(/"Ref":"([^"]+)"/g)
        ?.some((ref) => integrations.has(ref.slice(7, -1))),
    )
    .map(([, r]) => String(r.Properties?.['RouteKey']))
    .sort();
}

/** `functions/indexer/handler.handler` → the TypeScript module and the export name. */
export function handlerModule(handler: string): { modulePath: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  return { modulePath: `${handler.slice(0, dot)}.ts`, exportName: handler.slice(dot + 1) };
}

/** The logical id of the dead-letter queue in a queue's RedrivePolicy, if any. */
export function deadLetterQueueOf(template: CfnTemplate, queueLogicalId: string): string | undefined {
  const redrive = resource(template, queueLogicalId).Properties?.['RedrivePolicy'] as Record<string, unknown> | undefined;
  return redrive ? referencedLogicalId(redrive['deadLetterTargetArn']) : undefined;
}

// ---- CloudFormation property shapes -> S3 / SQS API shapes ----

export function toQueueAttributes(properties: Record<string, unknown>): Record<string, string> {
  const names = [
    'VisibilityTimeout',
    'MessageRetentionPeriod',
    'ReceiveMessageWaitTimeSeconds',
    'DelaySeconds',
    'MaximumMessageSize',
    'SqsManagedSseEnabled',
    'RedrivePolicy',
  ];
  const attributes: Record<string, string> = {};
  for (const name of names) {
    const value = properties[name];
    if (value === undefined) continue;
    attributes[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return attributes;
}

interface CfnQueueNotification {
  Event: string;
  Queue: string;
  Filter?: { S3Key?: { Rules?: Array<{ Name: string; Value: string }> } };
}

export function toNotificationConfiguration(notification: { QueueConfigurations?: CfnQueueNotification[] }) {
  return {
    QueueConfigurations: (notification.QueueConfigurations ?? []).map((q) => ({
      QueueArn: q.Queue,
      Events: [q.Event],
      ...(q.Filter?.S3Key?.Rules ? { Filter: { Key: { FilterRules: q.Filter.S3Key.Rules.map((rule) => ({ Name: rule.Name, Value: rule.Value })) } } } : {}),
    })),
  };
}

interface CfnLifecycleRule {
  Id?: string;
  Status: string;
  Prefix?: string;
  ExpirationInDays?: number;
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
  NoncurrentVersionExpiration?: { NoncurrentDays: number };
  ExpiredObjectDeleteMarker?: boolean;
}

export function toLifecycleConfiguration(lifecycle: { Rules: CfnLifecycleRule[] }) {
  return {
    Rules: lifecycle.Rules.map((rule) => ({
      ID: rule.Id,
      Status: rule.Status,
      Filter: { Prefix: rule.Prefix ?? '' },
      ...(rule.ExpirationInDays !== undefined ? { Expiration: { Days: Number(rule.ExpirationInDays) } } : {}),
      ...(rule.AbortIncompleteMultipartUpload
        ? { AbortIncompleteMultipartUpload: { DaysAfterInitiation: Number(rule.AbortIncompleteMultipartUpload.DaysAfterInitiation) } }
        : {}),
      ...(rule.NoncurrentVersionExpiration ? { NoncurrentVersionExpiration: { NoncurrentDays: Number(rule.NoncurrentVersionExpiration.NoncurrentDays) } } : {}),
      ...(rule.ExpiredObjectDeleteMarker !== undefined
        ? { Expiration: { ExpiredObjectDeleteMarker: rule.ExpiredObjectDeleteMarker === true || String(rule.ExpiredObjectDeleteMarker) === 'true' } }
        : {}),
    })),
  };
}

export function sqsQueueArn(region: string, accountId: string, name: string): string {
  return `arn:aws:sqs:${region}:${accountId}:${name}`;
}

interface CfnEncryptionRule {
  ServerSideEncryptionByDefault?: { SSEAlgorithm: string; KMSMasterKeyID?: string };
  BucketKeyEnabled?: boolean;
}

/** CloudFormation's `ServerSideEncryptionByDefault` is the API's `ApplyServerSideEncryptionByDefault`. */
export function toEncryptionConfiguration(encryption: { ServerSideEncryptionConfiguration: CfnEncryptionRule[] }) {
  return {
    Rules: encryption.ServerSideEncryptionConfiguration.map((rule) => ({
      ...(rule.ServerSideEncryptionByDefault ? { ApplyServerSideEncryptionByDefault: rule.ServerSideEncryptionByDefault } : {}),
      ...(rule.BucketKeyEnabled !== undefined ? { BucketKeyEnabled: rule.BucketKeyEnabled } : {}),
    })),
  };
}

interface PolicyDocument {
  Version?: string;
  Statement: Array<{ Effect: string; Sid?: string; Condition?: Record<string, Record<string, unknown>> }>;
}

/** Condition keys of our bucket policy's denials that moto cannot honour locally. */
const NOT_LOCAL = ['aws:SecureTransport', 's3:if-none-match', 'aws:PrincipalArn'];

/**
 * Drops the bucket policy's denials moto cannot evaluate as AWS does: TLS-only (moto serves plain
 * HTTP on loopback), conditional-write enforcement (moto does not know `s3:if-none-match`: it
 * would deny every write) and principal checks (every local request is the same test user). The
 * real template keeps them; test/infra/producer-policy.test.ts evaluates them as IAM does.
 */
export function localBucketPolicy(policy: PolicyDocument): PolicyDocument {
  const unenforceable = (s: PolicyDocument['Statement'][number]) =>
    s.Effect === 'Deny' && Object.values(s.Condition ?? {}).some((c) => Object.keys(c).some((k) => NOT_LOCAL.includes(k)));
  return { ...policy, Statement: policy.Statement.filter((s) => !unenforceable(s)) };
}
