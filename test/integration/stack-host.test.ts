/**
 * The local stack as a place to work (`npm run stack:up`): the host keeps the functions consuming
 * and serves the API, so a person's own program run under `joblogs run` can be read back through
 * the API with a `joblogs dev-token` token; and a stack that runs for days stays one stack —
 * `up` and `status` answer in seconds with 100 000 objects stored, a second moto is stopped, and
 * only what is really dead is restarted and re-provisioned.
 */
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, eventually, REPO_ROOT, writeSuiteResults, type SuiteRow } from '../../testkit/index.js';
import { ensureHost, pauseHost, stopHost, type HostInfo } from '../../testkit/stack/host.js';
import { findOurMotos, startMoto, stopMoto } from '../../testkit/stack/moto.js';
import { producerEnv } from '../../testkit/stack/quick-start.js';
import { loadStack, readStackFile, type LocalStack, type ProvisionedStack } from '../../testkit/stack/index.js';

const run = promisify(execFile);
const OBJECTS = Number(process.env['JOBLOGS_CROWD_OBJECTS'] ?? 100_000);
const rows: SuiteRow[] = [];
let stack: LocalStack;
let host: HostInfo;
let resumeHost: () => Promise<void>;

function record(name: string, input: string, expected: string, observed: string, pass: boolean): void {
  rows.push({ name, input, expected, observed, pass });
  expect(pass, `${name}: ${observed}`).toBe(true);
}

/** The `joblogs` CLI as a user runs it, with the producer environment `stack:up` prints. */
function joblogs(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [path.join(REPO_ROOT, 'cli', 'joblogs.mjs'), ...args], {
    cwd: REPO_ROOT,
    env: childEnv({ ...producerEnv(stack.info), ...env }),
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** `tsx scripts/stack.ts …`, timed. */
async function stackCommand(...args: string[]): Promise<{ ms: number; stdout: string }> {
  const started = Date.now();
  const { stdout } = await run(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(REPO_ROOT, 'scripts', 'stack.ts'), ...args], {
    cwd: REPO_ROOT,
    env: childEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  return { ms: Date.now() - started, stdout };
}

beforeAll(async () => {
  resumeHost = await pauseHost();
  stack = loadStack();
  host = await ensureHost(stack.info);
}, 180_000);

afterAll(async () => {
  await stopHost();
  await stack?.close();
  await resumeHost?.();
  if (rows.length > 0)
    writeSuiteResults({
      suite: 'local-stack',
      title: 'The local stack as a place to work',
      notes: [`Objects stored for the health checks: ${OBJECTS.toLocaleString('en')}.`],
      rows,
    });
}, 180_000);

describe('the local stack: your own program through the API', () => {
  it('runs a program under `joblogs run`, reads it back through the API with a dev token, and the download file holds the same lines', async () => {
    const jobId = `own-${randomUUID().slice(0, 8)}`;
    const program =
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a JavaScript program run by a child process
      'for (let i = 0; i < 2500; i++) console.log(`epoch ${i >> 8} step ${i} loss=${(1 / (i + 1)).toFixed(4)}`); console.error("WARNING: done early"); process.exitCode = 4';
    const printed = [...Array.from({ length: 2500 }, (_, i) => `epoch ${i >> 8} step ${i} loss=${(1 / (i + 1)).toFixed(4)}`), 'WARNING: done early'];
    await joblogs(['register', '--job-id', jobId, '--owner', 'alice', '--team', 'ml']);
    const shipped = await joblogs(['run', '--job-id', jobId, '--', process.execPath, '-e', program]).catch(
      (error: { code?: number; stderr?: string }) => error,
    );
    const token = (await joblogs(['dev-token', '--user', 'alice', '--team', 'ml', '--issuer', host.issuerUrl])).stdout.trim();
    const auth = { authorization: `Bearer ${token}` };

    // The live tail: after=<next>&wait=… until the job is complete and every line has come.
    const viaApi: string[] = [];
    let cursor = 'start';
    for (let complete = false; !complete; ) {
      const page = (await (await fetch(`${host.apiUrl}/jobs/${jobId}/lines?after=${cursor}&wait=10&limit=1000`, { headers: auth })).json()) as {
        lines: Array<{ text: string }>;
        next: string;
        status: string;
        hasAfter: boolean;
      };
      viaApi.push(...page.lines.map((l) => l.text));
      cursor = page.next;
      complete = page.status === 'complete' && !page.hasAfter;
    }
    const summary = (await (await fetch(`${host.apiUrl}/jobs/${jobId}`, { headers: auth })).json()) as { exitCode: number; levels: Record<string, number> };
    const signed = await eventually(
      async () => (await (await fetch(`${host.apiUrl}/jobs/${jobId}/logs`, { headers: auth })).json()) as { status: string; downloadUrl: string | null },
      (s) => s.status === 'complete' && !!s.downloadUrl,
      'the signed download link',
      60_000,
    );
    // Download lines are `<time> <stream> <text>` (docs/downloads.md).
    const download = gunzipSync(Buffer.from(await (await fetch(signed.downloadUrl!)).arrayBuffer()))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\S+ (?:stdout|stderr) /, ''));
    // stdout and stderr are two pipes: where the stderr line falls among the stdout lines is when the
    // shipper read it; each stream's own order is the printed one, and every view agrees on the whole.
    const asPrinted = (a: string[]) =>
      a.length === printed.length &&
      JSON.stringify(a.filter((l) => !l.startsWith('WARNING'))) === JSON.stringify(printed.slice(0, -1)) &&
      a.includes(printed.at(-1)!);
    const agree = JSON.stringify(viaApi) === JSON.stringify(download);
    record(
      'own program through the API',
      '`joblogs register` + `joblogs run -- node …` (2 501 lines, exit 4) with the printed producer env; `joblogs dev-token`; tail, summary and download link from the host',
      'printed == API lines == download file; exit 4 in the summary',
      `exit ${(shipped as { code?: number }).code ?? 0}; API ${viaApi.length} lines${asPrinted(viaApi) ? ' (as printed)' : ' (DIFFERENT)'}; download ${download.length} lines, ${agree ? 'the same order as the API' : `ANOTHER order (first at ${viaApi.findIndex((l, i) => l !== download[i])}: ${viaApi.find((l, i) => l !== download[i])} / ${download.find((l, i) => l !== viaApi[i])})`}; summary exit ${summary.exitCode}, warnings ${summary.levels['warning'] ?? 0}`,
      asPrinted(viaApi) && agree && summary.exitCode === 4 && (shipped as { code?: number }).code === 4,
    );
  });

  it('the dev token is refused for another team, and the CLI refuses to fetch one from anywhere but loopback', async () => {
    const jobId = `own-${randomUUID().slice(0, 8)}`;
    await joblogs(['register', '--job-id', jobId, '--owner', 'alice', '--team', 'ml']);
    const bob = (await joblogs(['dev-token', '--user', 'bob', '--team', 'nlp', '--issuer', host.issuerUrl])).stdout.trim();
    const answer = await fetch(`${host.apiUrl}/jobs/${jobId}`, { headers: { authorization: `Bearer ${bob}` } });
    const remote = await joblogs(['dev-token', '--user', 'bob', '--issuer', 'https://auth.example.com']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    record(
      'dev tokens',
      "a dev token of bob (team nlp) for alice's job (team ml); `dev-token --issuer https://auth.example.com`",
      '403; the CLI refuses a non-loopback issuer',
      `${answer.status}; CLI exit ${(remote as { code: number }).code}: ${(remote as { stderr: string }).stderr?.trim().slice(0, 90)}`,
      answer.status === 403 && (remote as { code: number }).code !== 0,
    );
  });
});

describe('the local stack: one stack, however long it runs', () => {
  it(`answers status and up in seconds with ${OBJECTS.toLocaleString('en')} objects stored, and after their bucket is deleted`, async () => {
    const bucket = `joblogs-crowd-${randomUUID().slice(0, 8)}`;
    await stack.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    let next = 0;
    const putStarted = Date.now();
    await Promise.all(
      Array.from({ length: 48 }, async () => {
        for (let i = next++; i < OBJECTS; i = next++) await stack.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `o/${i}`, Body: 'x' }));
      }),
    );
    const putS = ((Date.now() - putStarted) / 1000).toFixed(0);
    const motoBefore = readStackFile()!.moto.pid;
    const status = await stackCommand('status');
    const up = await stackCommand('up', '--no-host');
    for (let from = 0; from < OBJECTS; from += 1000) {
      const keys = Array.from({ length: Math.min(1000, OBJECTS - from) }, (_, i) => ({ Key: `o/${from + i}` }));
      await stack.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    await stack.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    const afterDelete = await stackCommand('status');
    const motos = findOurMotos();
    const kept = readStackFile()!.moto.pid === motoBefore && motos.length === 1;
    record(
      'health with many objects',
      `${OBJECTS.toLocaleString('en')} objects put (${putS} s), then \`stack.ts status\`, \`stack.ts up --no-host\`; the bucket deleted, \`status\` again`,
      'each answers (exit 0) and keeps the one moto',
      `status ${(status.ms / 1000).toFixed(1)} s, up ${(up.ms / 1000).toFixed(1)} s (${/provisioning kept/.test(up.stdout) ? 'provisioning kept' : 're-provisioned'}), status after the delete ${(afterDelete.ms / 1000).toFixed(1)} s; ${motos.length} moto running, ${kept ? 'the same one' : 'ANOTHER one'}`,
      kept && /"healthy": true/.test(afterDelete.stdout),
    );
  }, 1_200_000);

  it('stops a second moto instead of starting a third, and restarts and re-provisions only a moto that really died', async () => {
    const before = readStackFile() as ProvisionedStack;
    const stray = await startMoto(before.moto.port + 7);
    const up = await stackCommand('up', '--no-host');
    const strayStopped = !findOurMotos().some((m) => m.pid === stray.pid);
    const keptBoth = readStackFile()!.moto.pid === before.moto.pid && readStackFile()!.elasticsearch.pid === before.elasticsearch.pid;

    await stopMoto(before.moto.pid);
    const revived = await stackCommand('up', '--no-host');
    const after = readStackFile() as ProvisionedStack;
    const fresh = loadStack(after);
    const bucketBack = await fresh.s3.send(new HeadBucketCommand({ Bucket: after.resources.bucket })).then(
      () => true,
      () => false,
    );
    await fresh.close();
    await stack.close();
    stack = loadStack(after);
    record(
      'one moto, restarted only when dead',
      "an unrecorded moto started beside the stack's, then `up`; the stack's moto killed, then `up`",
      'the stray stopped and both services kept; then a new moto, re-provisioned, Elasticsearch kept',
      `stray ${strayStopped ? 'stopped' : 'STILL RUNNING'}, services ${keptBoth ? 'kept' : 'CHANGED'}; after the kill: moto pid ${before.moto.pid} → ${after.moto.pid} on ${after.moto.url}, ${/provisioned bucket/.test(revived.stdout) ? 're-provisioned' : 'NOT re-provisioned'}, bucket ${bucketBack ? 'there' : 'MISSING'}, Elasticsearch ${after.elasticsearch.pid === before.elasticsearch.pid ? 'kept' : 'RESTARTED'}`,
      strayStopped &&
        keptBoth &&
        /stopping a second moto/.test(up.stdout) &&
        after.moto.pid !== before.moto.pid &&
        bucketBack &&
        after.elasticsearch.pid === before.elasticsearch.pid,
    );
  }, 300_000);
});
