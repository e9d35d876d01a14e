import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram, main, type Invocation } from '../../../cli/main.js';
import { exitCodeForSignal } from '../../../cli/run.js';
import { summaryLine } from '../../../cli/session.js';
import { generateTraceparent, resolveTraceparent } from '../../../cli/traceparent.js';
import { ConfigError } from '../../../shared/core/errors.js';
import { shipperOptionsFrom } from '../../../cli/config.js';
import { parseTraceparent } from '../../../shared/core/contract/index.js';
import { SHIPPER_VERSION } from '../../../shared/shipper/index.js';

function parse(args: string[], env: Record<string, string> = {}): Invocation {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let seen: Invocation | undefined;
    buildProgram((i) => void (seen = i), { stdout: () => undefined, stderr: () => undefined }).parse(['node', 'joblogs', ...args]);
    return seen!;
  } finally {
    process.env = saved;
  }
}

function capture(): { io: { stdout: (t: string) => void; stderr: (t: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) }, out, err };
}

describe('joblogs arguments', () => {
  it('takes everything after -- as the command, options included', () => {
    const run = parse(['run', '--job-id', 'job-1', '--bucket', 'logs', '--verbose', '--', 'python', 'train.py', '--epochs', '3']);
    expect(run).toMatchObject({
      command: 'run',
      argv: ['python', 'train.py', '--epochs', '3'],
      flags: { jobId: 'job-1', bucket: 'logs', verbose: true, source: 'main', onSpoolFull: 'drop-oldest' },
    });
  });

  it('reads options from JOBLOGS_* variables, flags winning', () => {
    const run = parse(['run', '--source', 'rank-1', '--', 'true'], {
      JOBLOGS_JOB_ID: 'job-env',
      JOBLOGS_BUCKET: 'b-env',
      JOBLOGS_SOURCE: 'rank-0',
      JOBLOGS_SPOOL_DIR: '/spool',
      JOBLOGS_ON_SPOOL_FULL: 'block',
      JOBLOGS_FLUSH_INTERVAL_MS: '250',
    });
    expect(run.flags).toMatchObject({ jobId: 'job-env', bucket: 'b-env', source: 'rank-1', spoolDir: '/spool', onSpoolFull: 'block', flushInterval: '250' });
  });

  it('parses pipe and follow options', () => {
    expect(parse(['pipe', '--no-passthrough', '--job-id', 'j', '--bucket', 'b'])).toMatchObject({ command: 'pipe', flags: { passthrough: false } });
    expect(parse(['follow', '/var/log/app.log', '--docker-json', '--job-id', 'j', '--bucket', 'b'])).toMatchObject({
      command: 'follow',
      file: '/var/log/app.log',
      flags: { dockerJson: true, fromEnd: false, pollInterval: '250' },
    });
  });

  it('prints help for every command and exits 0', async () => {
    for (const command of [[], ['run'], ['pipe'], ['follow']]) {
      const { io, out } = capture();
      expect(await main(['node', 'joblogs', ...command, '--help'], io)).toBe(0);
      expect(out.join('')).toMatch(/^Usage: joblogs/);
    }
  });

  it('exits 2 with one line for a bad job id, a missing bucket, an unknown option or policy', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', '--job-id', 'a/b', '--bucket', 'logs', '--', 'true'], /job id "a\/b" is invalid/],
      [['run', '--job-id', 'job-1', '--', 'true'], /--bucket \(or JOBLOGS_BUCKET\) is required/],
      [['run', '--jobid', 'x', '--', 'true'], /unknown option '--jobid'/],
      [['run', '--job-id', 'j', '--bucket', 'logs', '--on-spool-full', 'sometimes', '--', 'true'], /Allowed choices are drop-oldest, block/],
      [['run', '--job-id', 'j', '--bucket', 'logs', '--flush-interval', 'soon', '--', 'true'], /--flush-interval must be a whole number/],
      // A job's own multi-line pattern is vetted before the job starts.
      [
        ['run', '--job-id', 'j', '--bucket', 'logs', '--multiline-start', '(a+)+$', '--', 'true'],
        /multi-line start pattern "\(a\+\)\+\$" is refused: it nests repetitions/,
      ],
      [
        ['run', '--job-id', 'j', '--bucket', 'logs', '--multiline-continue', '[', '--', 'true'],
        /multi-line continue pattern "\[" is refused: it is not a valid regular expression/,
      ],
      [['run', '--job-id', 'j', '--bucket', 'logs', '--multiline', 'maybe', '--', 'true'], /Allowed choices are on, off/],
    ];
    for (const [args, message] of cases) {
      const { io, err } = capture();
      expect(await main(['node', 'joblogs', ...args], io), args.join(' ')).toBe(2);
      expect(err.join('')).toMatch(message);
      // commander may add a "(Did you mean …?)" hint on a second line.
      expect(err.join('').trim().split('\n').length).toBeLessThanOrEqual(args.includes('--jobid') ? 2 : 1);
    }
  });

  it('checks the options the way the shipper will, listing every problem', () => {
    expect(() =>
      shipperOptionsFrom({ jobId: 'j', bucket: 'logs', spoolDir: '/s', dataset: 'Other', onSpoolFull: 'drop-oldest' }, generateTraceparent()),
    ).toThrow(ConfigError);
  });
});

describe('traceparent', () => {
  it('honours a valid TRACEPARENT and rejects a malformed one', () => {
    expect(resolveTraceparent('00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(() => resolveTraceparent('00-abc-def-01')).toThrow(ConfigError);
  });

  it('generates a valid, fresh one when absent', () => {
    const a = resolveTraceparent(undefined);
    expect(parseTraceparent(a)).toBeDefined();
    expect(a).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(resolveTraceparent('')).not.toBe(a);
    // All-zero ids are invalid: drawn again.
    let calls = 0;
    const zeroThenRandom = (n: number) => (calls++ === 0 ? Buffer.alloc(n) : Buffer.alloc(n, 7));
    expect(parseTraceparent(generateTraceparent(zeroThenRandom))).toBeDefined();
  });
});

describe('exit codes and summary', () => {
  it('maps a signal to 128 + its number', () => {
    expect(exitCodeForSignal('SIGTERM')).toBe(143);
    expect(exitCodeForSignal('SIGINT')).toBe(130);
    expect(exitCodeForSignal('SIGKILL')).toBe(137);
  });

  it('prints one summary line with every counter', () => {
    const line = summaryLine(
      { lines: 10, bytes: 200, chunks: 2, uploaded: 1, retries: 4, spooled: 1, dropped: 0, pending: 1, conflicts: 0, redactions: {} },
      '/spool',
    );
    expect(line).toBe(
      'joblogs: 10 lines, 200 bytes, 2 chunks (1 uploaded), 4 retries, 1 spooled, 0 dropped, 1 chunk(s) left in the spool /spool for the next run',
    );
    expect(summaryLine({ lines: 1, bytes: 2, chunks: 1, uploaded: 0, retries: 0, spooled: 0, dropped: 0, pending: 1, conflicts: 1, redactions: {} })).toContain(
      '1 conflict(s): another writer used this job and source',
    );
  });

  it('reports the package version as its producer version', () => {
    expect(SHIPPER_VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});
