import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { heapFlagsArgv, HEAP_FLAGS } from '../../../cli/heap-flags.js';
import { runCommand, shouldForward } from '../../../cli/run.js';
import type { Session } from '../../../cli/session.js';
import { reassembleStreams } from '../../../shared/core/contract/index.js';
import { Shipper } from '../../../shared/shipper/index.js';
import { isOurProcess } from '../../../testkit/stack/index.js';
import { fakeS3 } from '../shared/shipper/fake-s3.js';

let spoolDir: string;
beforeEach(() => {
  spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-run-'));
});
afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A real Shipper on an in-memory S3, as `openSession` would give `runCommand`. */
async function session(s3: ReturnType<typeof fakeS3>): Promise<Session> {
  const shipper = await Shipper.open({ jobId: 'run-1', bucket: 'joblogs-test', spoolDir, s3: s3.client, traceparent: TRACEPARENT });
  return { shipper, traceparent: TRACEPARENT, finish: (end) => shipper.close(end) };
}

const node = (code: string) => [process.execPath, '-e', code];

describe('runCommand', () => {
  it('finishes a bounded time after the command exits when a process it left running holds its output open', async () => {
    const s3 = fakeS3();
    const stderr: string[] = [];
    // The grandchild inherits stdout and outlives its parent by far.
    const pidFile = path.join(spoolDir, 'daemon.pid');
    const script = `const daemon = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: ['ignore', 'inherit', 'ignore'], detached: true }); daemon.unref(); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(daemon.pid)); console.log('daemon started'); process.exitCode = 4;`;
    const code = await runCommand(node(script), await session(s3), { stderr: (l) => stderr.push(l), terminal: false, pipeCloseTimeoutMs: 300 });
    expect(code).toBe(4);
    // Done while the grandchild still holds the output open: it was not waited for.
    const daemon = Number(readFileSync(pidFile, 'utf8'));
    expect(isOurProcess(daemon, 'setTimeout')).toBe(true);
    process.kill(daemon);
    expect(stderr.join('\n')).toMatch(/exited but its output is still open/);
    expect(reassembleStreams(s3.objects.flatMap((o) => o.frames)).stdout.toString()).toBe('daemon started\n');
    expect(s3.objects.at(-1)!.metadata).toMatchObject({ final: 'true', 'exit-code': '4' });
  });

  it('still reads everything a command printed right before it exited', async () => {
    const s3 = fakeS3();
    const code = await runCommand(node(`process.stdout.write('x'.repeat(3 * 1024 * 1024) + '\\n')`), await session(s3), {
      stderr: () => undefined,
      terminal: false,
      pipeCloseTimeoutMs: 100,
    });
    expect(code).toBe(0);
    expect(reassembleStreams(s3.objects.flatMap((o) => o.frames)).stdout.length).toBe(3 * 1024 * 1024 + 1);
  });

  it('does not send a SIGINT the terminal already sent the child, but forwards one sent to joblogs alone', async () => {
    const counter = `let n = 0; process.on('SIGINT', () => { n++; }); console.log('ready'); setTimeout(() => { console.log('sigints ' + n); }, 600);`;
    for (const terminal of [true, false]) {
      const s3 = fakeS3();
      const running = runCommand(node(counter), await session(s3), { stderr: () => undefined, terminal });
      await new Promise((r) => setTimeout(r, 300));
      process.emit('SIGINT', 'SIGINT');
      expect(await running).toBe(0);
      const printed = reassembleStreams(s3.objects.flatMap((o) => o.frames)).stdout.toString();
      expect(printed).toBe(`ready\nsigints ${terminal ? 0 : 1}\n`);
    }
  });
});

describe('signals and heap flags', () => {
  it('forwards SIGTERM and SIGHUP always, SIGINT only when not at a terminal', () => {
    expect(shouldForward('SIGINT', true)).toBe(false);
    expect(shouldForward('SIGINT', false)).toBe(true);
    expect(shouldForward('SIGTERM', true)).toBe(true);
    expect(shouldForward('SIGHUP', true)).toBe(true);
  });

  it("re-executes once with the heap flags as node arguments, keeping node's own flags and the command line", () => {
    const argv = heapFlagsArgv({
      execPath: '/usr/bin/node',
      execArgv: ['--import', 'probe.mjs'],
      argv: ['/usr/bin/node', '/opt/joblogs.mjs', 'run', '--', 'python', 'train.py'],
      env: {},
    });
    expect(argv).toEqual(['/usr/bin/node', ...HEAP_FLAGS, '--import', 'probe.mjs', '/opt/joblogs.mjs', 'run', '--', 'python', 'train.py']);
    expect(heapFlagsArgv({ execPath: '/usr/bin/node', execArgv: [...HEAP_FLAGS], argv: ['/usr/bin/node', 'x.mjs'], env: {} })).toBeUndefined();
    expect(heapFlagsArgv({ execPath: '/usr/bin/node', execArgv: [], argv: ['/usr/bin/node', 'x.mjs'], env: { JOBLOGS_HEAP_FLAGS: '0' } })).toBeUndefined();
  });
});
