/**
 * What the operator of a stage gets from the packaged template (`sls package --stage ci`): an
 * alarm for every failure the runbook (docs/operations.md) covers — each on the metric the
 * functions really publish, with its stage parameter as threshold, notifying the stage's topic —
 * and a dashboard showing every metric. cfn-lint runs over the same template in security.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { answerMetrics, assemblerMetrics, indexerMetrics, METRICS_NAMESPACE, MetricFunction, MetricName } from '../../shared/core/ops/index.js';
import { REPO_ROOT } from '../../testkit/index.js';
import { packageService, readServerlessYml, readTemplate, stageParam, type CfnResource, type CfnTemplate } from '../../testkit/stack/index.js';

const STAGE = 'ci';
const config = readServerlessYml();
const param = (name: string) => stageParam(config, STAGE, name);
const runbook = readFileSync(path.join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');

let template: CfnTemplate;

beforeAll(async () => {
  template = readTemplate(await packageService(STAGE));
}, 300_000);

const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type) as Array<[string, Required<CfnResource>]>;
const alarms = () => ofType('AWS::CloudWatch::Alarm');
const alarm = (id: string) => {
  const r = template.Resources[id];
  expect(r?.Type, `alarm ${id}`).toBe('AWS::CloudWatch::Alarm');
  return r!.Properties as Record<string, any>;
};
const dims = (p: Record<string, any>) => Object.fromEntries((p['Dimensions'] as Array<{ Name: string; Value: unknown }>).map((d) => [d.Name, d.Value]));

/** The dimension names the functions' lines declare for each metric (EMF), from the code itself. */
function publishedDimensions(): Map<string, string[][]> {
  const lines = [
    indexerMetrics(
      STAGE,
      { indexed: 1, bytes: 1, objects: 1, duplicates: 1, retried: 1, throttled: 1, rejected: 1, deadLettered: 1, failed: 1, lagMs: [1] },
      0,
    ),
    assemblerMetrics(STAGE, { assembled: 1, gaps: 1, continued: 1, deadLettered: 1, failed: 1 }, 0),
    answerMetrics(STAGE, MetricFunction.signer, 500, 0),
  ];
  const out = new Map<string, string[][]>();
  for (const line of lines) {
    const directive = (line['_aws'] as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> })
      .CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe(METRICS_NAMESPACE);
    for (const m of directive.Metrics) out.set(m.Name, [...(out.get(m.Name) ?? []), ...directive.Dimensions]);
  }
  return out;
}

describe('the alarm topic', () => {
  it("is one SNS topic per stage, subscribed as the stage parameter says, published to only by this account's alarms over TLS", () => {
    const [[id, topic]] = ofType('AWS::SNS::Topic') as [[string, Required<CfnResource>]];
    expect(id).toBe('AlarmTopic');
    expect(topic.Properties).toMatchObject({ TopicName: `joblogs-${STAGE}-alarms`, Subscription: param('alarmSubscriptions') });
    expect(param('alarmSubscriptions')).toEqual([{ Protocol: 'email', Endpoint: expect.stringContaining('@') }]);
    expect(stageParam(config, 'default', 'alarmSubscriptions')).toEqual([]);
    const [[, policy]] = ofType('AWS::SNS::TopicPolicy') as [[string, Required<CfnResource>]];
    const statements = (policy.Properties['PolicyDocument'] as { Statement: Array<Record<string, any>> }).Statement;
    expect(statements.filter((s) => s['Effect'] === 'Allow')).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
    expect(statements.find((s) => s['Effect'] === 'Deny')).toMatchObject({ Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });
});

describe('every alarm', () => {
  it("notifies the stage's topic when it fires and when it clears, treats missing data as fine, and points to its runbook paragraph", () => {
    expect(alarms().length).toBe(21);
    for (const [id, a] of alarms()) {
      const p = a.Properties;
      expect(p['AlarmActions'], id).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(p['OKActions'], id).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(p['TreatMissingData'], id).toBe('notBreaching');
      expect(p['ComparisonOperator'], id).toBe('GreaterThanThreshold');
      expect(p['AlarmName'], id).toMatch(new RegExp(`^joblogs-${STAGE}-[a-z0-9-]+$`));
      const anchor = /docs\/operations\.md#([a-z0-9-]+)\)$/.exec(String(p['AlarmDescription']))?.[1];
      expect(anchor, `${id} links a runbook paragraph`).toBeDefined();
      expect(runbook, `docs/operations.md has ### ${anchor}`).toMatch(new RegExp(`^### ${anchor}$`, 'm'));
    }
  });

  it('on a joblogs metric, is on exactly the metric and dimensions the functions publish (EMF), for this stage', () => {
    const published = publishedDimensions();
    const custom = alarms().filter(([, a]) => a.Properties['Namespace'] === METRICS_NAMESPACE);
    expect(custom.length).toBe(6);
    for (const [id, a] of custom) {
      const p = a.Properties;
      expect(Object.values(MetricName), id).toContain(p['MetricName']);
      const d = dims(p);
      expect(published.get(String(p['MetricName'])), `${id}: ${p['MetricName']} is published with dimensions ${Object.keys(d)}`).toContainEqual(Object.keys(d));
      expect(d['Stage'], id).toBe(STAGE);
      expect(Object.values(MetricFunction) as unknown[], id).toContain(d['Function']);
      expect(p['Statistic'], id).toBe('Sum');
    }
  });
});

describe("the pipeline's alarms", () => {
  it("fires when the chunk queue's oldest message is older than the freshness budget for two minutes", () => {
    const p = alarm('ChunkQueueAgeAlarm');
    expect(p).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: param('freshnessBudgetSeconds'),
    });
    expect(dims(p)).toEqual({ QueueName: { 'Fn::GetAtt': ['ChunkQueue', 'QueueName'] } });
  });

  it('fires when any dead-letter queue holds a message — every queue a redrive policy names', () => {
    const dlqs = ofType('AWS::SQS::Queue').flatMap(([, q]) => {
      const target = (q.Properties['RedrivePolicy'] as { deadLetterTargetArn?: { 'Fn::GetAtt': [string, string] } } | undefined)?.deadLetterTargetArn;
      return target ? [target['Fn::GetAtt'][0]] : [];
    });
    expect(dlqs.sort()).toEqual(['AssembleDLQ', 'ChunkDLQ']);
    for (const dlq of dlqs) {
      const [, a] = alarms().find(([, x]) => JSON.stringify(x.Properties['Dimensions']).includes(`"${dlq}"`))!;
      expect(a.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Threshold: param('dlqMessagesThreshold'),
      });
      expect(dims(a.Properties)).toEqual({ QueueName: { 'Fn::GetAtt': [dlq, 'QueueName'] } });
    }
  });

  it('watches every function for errors, throttles and an invocation near its own timeout', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(['AssemblerLambdaFunction', 'IndexerLambdaFunction', 'LogsLambdaFunction', 'SignerLambdaFunction']);
    for (const [fn, f] of functions) {
      const on = (metric: string) =>
        alarms().filter(
          ([, a]) =>
            a.Properties['MetricName'] === metric &&
            JSON.stringify(a.Properties['Dimensions']) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: fn } }]),
        );
      const [[, errors]] = on('Errors') as [[string, Required<CfnResource>]];
      expect(errors.Properties).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Period: 300, Threshold: param('functionErrorsThreshold') });
      const [[, throttles]] = on('Throttles') as [[string, Required<CfnResource>]];
      expect(throttles.Properties).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Threshold: param('functionThrottlesThreshold') });
      const duration = alarms().find(([, a]) => JSON.stringify(a.Properties['Metrics'] ?? []).includes(`"Ref":"${fn}"`))![1].Properties;
      const timeoutS = f.Properties['Timeout'] as number;
      expect(duration['Metrics']).toEqual([
        {
          Id: 'duration',
          ReturnData: false,
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: 'Duration', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }] },
            Period: 300,
            Stat: 'Maximum',
          },
        },
        expect.objectContaining({ Id: 'percentOfTimeout', ReturnData: true, Expression: `100 * duration / (${timeoutS} * 1000)` }),
      ]);
      expect(duration['Threshold']).toBe(param('durationAlarmPercent'));
    }
  });

  it('fires on dead-letter reports of the indexer and the assembler, on sustained Elasticsearch 429s, on gaps, and on 5xx answers', () => {
    const expectations: Array<[string, string, string, number | unknown, unknown, Record<string, string>?]> = [
      ['IndexerDeadLettersAlarm', MetricName.deadLetterReports, 'indexer', 300, param('deadLetterReportsThreshold')],
      ['AssemblerDeadLettersAlarm', MetricName.deadLetterReports, 'assembler', 300, param('deadLetterReportsThreshold')],
      ['EsRejectionsAlarm', MetricName.esRejections, 'indexer', 300, param('esRejectionsThreshold')],
      ['AssemblerGapsAlarm', MetricName.gaps, 'assembler', 900, param('gapsThreshold')],
      ['Signer5xxAlarm', MetricName.answers, 'signer', 300, param('http5xxThreshold'), { StatusClass: '5xx' }],
      ['Logs5xxAlarm', MetricName.answers, 'logs', 300, param('http5xxThreshold'), { StatusClass: '5xx' }],
    ];
    for (const [id, metric, fn, period, threshold, extra] of expectations) {
      const p = alarm(id);
      expect(p, id).toMatchObject({ Namespace: METRICS_NAMESPACE, MetricName: metric, Period: period, Threshold: threshold });
      expect(dims(p), id).toEqual({ Stage: STAGE, Function: fn, ...extra });
    }
    // Sustained: several periods in a row, all of them over.
    expect(alarm('EsRejectionsAlarm')).toMatchObject({ EvaluationPeriods: param('esRejectionsPeriods'), DatapointsToAlarm: param('esRejectionsPeriods') });
    expect(Number(param('esRejectionsPeriods'))).toBeGreaterThan(1);
  });
});

describe('the dashboard', () => {
  const body = () => {
    const sub = (template.Resources['Dashboard']!.Properties as { DashboardBody: { 'Fn::Sub': string } }).DashboardBody['Fn::Sub'];
    expect(sub.replace(/\$\{AWS::(Region|AccountId)\}/g, '')).not.toContain('${');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
    return JSON.parse(sub.replaceAll('${AWS::Region}', 'us-east-1').replaceAll('${AWS::AccountId}', '123456789012')) as {
      widgets: Array<{ type: string; properties: Record<string, any> }>;
    };
  };

  it('shows freshness lag, lines/s, queue depth and age, errors, DLQs and Elasticsearch rejections for this stage', () => {
    const titles = body().widgets.map((w) => String(w.properties['title'] ?? ''));
    for (const wanted of [/freshness/i, /lines indexed per second/i, /queue depth/i, /queue age/i, /errors/i, /dead letters/i, /elasticsearch/i])
      expect(
        titles.some((t) => wanted.test(t)),
        String(wanted),
      ).toBe(true);
    const json = JSON.stringify(body());
    expect(json).toContain('"LinesIndexed","Stage","ci"');
    expect(json).toContain('lines / PERIOD(lines)');
    for (const queue of ['chunks', 'chunks-dlq', 'assemble', 'assemble-dlq']) expect(json).toContain(`"joblogs-ci-${queue}"`);
    for (const fn of ['indexer', 'assembler', 'signer', 'logs']) expect(json).toContain(`"FunctionName","joblogs-ci-${fn}"`);
  });

  it('graphs every metric the functions publish, and only those, and lists every alarm', () => {
    const widgets = body().widgets;
    const graphed = new Set(
      widgets
        .flatMap((w) => (w.properties['metrics'] ?? []) as unknown[][])
        .filter((m) => m[0] === METRICS_NAMESPACE)
        .map((m) => m[1] as string),
    );
    expect([...graphed].sort()).toEqual(Object.values(MetricName).sort());
    const listed = widgets.find((w) => w.type === 'alarm')!.properties['alarms'] as string[];
    expect(listed.map((arn) => arn.split(':alarm:')[1]).sort()).toEqual(
      alarms()
        .map(([, a]) => a.Properties['AlarmName'])
        .sort(),
    );
  });
});

describe("the stage's parameters and outputs for operators", () => {
  it('give every threshold a default, documented in the runbook', () => {
    for (const name of [
      'alarmSubscriptions',
      'freshnessBudgetSeconds',
      'dlqMessagesThreshold',
      'functionErrorsThreshold',
      'functionThrottlesThreshold',
      'durationAlarmPercent',
      'deadLetterReportsThreshold',
      'esRejectionsThreshold',
      'esRejectionsPeriods',
      'gapsThreshold',
      'http5xxThreshold',
    ]) {
      expect(config.params['default']?.[name], name).toBeDefined();
      expect(runbook, `docs/operations.md documents ${name}`).toContain(`\`${name}\``);
    }
  });

  it('output what `joblogs admin` reads to find the stage', () => {
    const outputs = (template as unknown as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    for (const name of [
      'LogBucketName',
      'ChunkQueueUrl',
      'ChunkDLQUrl',
      'AssembleQueueUrl',
      'AssembleDLQUrl',
      'ChunkDLQArn',
      'ChunkQueueArn',
      'AssembleQueueArn',
      'AssembleDLQArn',
      'EsNode',
      'EsCredentialsParam',
      'AlarmTopicArn',
      'DashboardName',
    ]) {
      expect(outputs[name], name).toBeDefined();
    }
    expect(outputs['EsNode']!.Value).toBe(param('esNode'));
  });
});
