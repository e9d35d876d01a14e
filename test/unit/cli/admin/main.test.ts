import { describe, expect, it } from 'vitest';
import { adminMain, buildAdminProgram, type AdminInvocation } from '../../../../cli/admin/main.js';
import { adminConfig } from '../../../../cli/admin/config.js';
import { main } from '../../../../cli/main.js';

function capture() {
  let stdout = '';
  let stderr = '';
  return {
    io: { stdout: (t: string) => void (stdout += t), stderr: (t: string) => void (stderr += t), stderrIsTty: false },
    out: () => stdout,
    err: () => stderr,
  };
}

/** Runs `joblogs admin` with no AWS or Elasticsearch reachable: every case here must fail before it would open them. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const c = capture();
  const code = await adminMain(['node', 'joblogs admin', ...args], c.io, env);
  return { code, stdout: c.out(), stderr: c.err() };
}

function parse(args: string[]): AdminInvocation {
  let seen: AdminInvocation | undefined;
  void buildAdminProgram((i) => void (seen = i), capture().io).parse(['node', 'joblogs admin', ...args]);
  return seen!;
}

describe('joblogs admin', () => {
  it('prints help and exits 0 for --help, 2 without a command or with an unknown one', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/status[\s\S]*redrive[\s\S]*backfill[\s\S]*purge/);
    expect(help.stdout).toContain('Exit codes: 0 done, 1 a service failed');
    expect((await run([])).code).toBe(2);
    expect((await run(['explode'])).code).toBe(2);
    expect((await run(['status', '--help'])).stdout).toContain('--peek <n>');
  });

  it("reads each command's flags with their defaults", () => {
    expect(parse(['status', '--job', 'j', '--stage', 'dev'])).toMatchObject({
      command: 'status',
      flags: { job: 'j', stage: 'dev', peek: '1000', progress: true },
    });
    expect(parse(['redrive', '--stage', 'dev'])).toMatchObject({ command: 'redrive', flags: { queue: 'all', rate: '10', method: 'auto', wait: '0' } });
    expect(parse(['backfill', '--stage', 'dev', '--since', '2026-11-25', '--target-stage', 'dr', '--no-progress', '--json'])).toMatchObject({
      command: 'backfill',
      flags: { since: '2026-11-25', targetStage: 'dr', concurrency: '4', progress: false, json: true },
    });
    expect(parse(['purge', '--stage', 'dev', '--job', 'j'])).toMatchObject({ command: 'purge', flags: { job: 'j' } });
  });

  it('refuses bad usage with exit 2 and one line naming the problem — before it touches the stage', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['status', '--job', 'j'], /--stage/],
      [['status', '--job', 'j', '--stage', 'Prod!'], /--stage/],
      [['status', '--job', '../x', '--stage', 'dev'], /--job "..\/x" is not a job id/],
      [['status', '--stage', 'dev'], /required option '--job <id>'/],
      [['backfill', '--stage', 'dev', '--job', 'j', '--prefix', 'p'], /exactly one of --job, --prefix, --since/],
      [['backfill', '--stage', 'dev', '--since', 'last week'], /is not a time/],
      [['backfill', '--stage', 'dev', '--job', 'j', '--concurrency', '64'], /--concurrency must be a whole number from 1 to 16/],
      [['purge', '--stage', 'dev', '--job', 'j', '--yes'], /needs --reason/],
      [['redrive', '--stage', 'dev', '--job', 'j'], /use them with --reports/],
      [['redrive', '--stage', 'dev', '--rate', '0'], /--rate/],
      [['redrive', '--stage', 'dev', '--queue', 'everything'], /--queue/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('answers a usage error as JSON too with --json', async () => {
    const r = await run(['purge', '--stage', 'dev', '--job', 'j', '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'BAD_CONFIG', message: expect.stringContaining('--reason') } });
  });

  it('takes Elasticsearch credentials from the environment, one kind at a time', () => {
    expect(adminConfig({ stage: 'dev' }, { JOBLOGS_ES_USERNAME: 'op', JOBLOGS_ES_PASSWORD: 'pw' }).esAuth).toEqual({ username: 'op', password: 'pw' });
    expect(adminConfig({ stage: 'dev' }, { JOBLOGS_ES_API_KEY: 'k' }).esAuth).toEqual({ apiKey: 'k' });
    expect(() => adminConfig({ stage: 'dev' }, { JOBLOGS_ES_API_KEY: 'k', JOBLOGS_ES_USERNAME: 'op', JOBLOGS_ES_PASSWORD: 'pw' })).toThrow(/choose one/);
    expect(() => adminConfig({ stage: 'dev' }, { JOBLOGS_ES_USERNAME: 'op' })).toThrow(/go together/);
  });

  it("is reached as `joblogs admin` from the shipper's command", async () => {
    const c = capture();
    const code = await main(['node', 'joblogs', 'admin', '--help'], { stdout: c.io.stdout, stderr: c.io.stderr });
    expect(code).toBe(0);
    expect(c.out()).toContain('Operator commands for a stage');
  });
});
