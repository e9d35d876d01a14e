import { describe, expect, it } from 'vitest';
import { redactionFrom } from '../../../cli/config.js';
import { CliConfigError } from '../../../cli/errors.js';
import { buildProgram, type Invocation } from '../../../cli/main.js';

describe('secret scrubbing flags', () => {
  it('redacts the well-known variables and the named ones, warning about a named value too short to redact', () => {
    const env = { HF_TOKEN: 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567', MY_TOKEN: 'my-long-secret', SHORT: 'abc', AWS_SECRET_ACCESS_KEY: 'test' };
    const { redact, warnings } = redactionFrom({ redactEnv: 'MY_TOKEN, SHORT' }, env);
    expect(redact).toEqual({
      patterns: true,
      secrets: [
        { name: 'HF_TOKEN', value: env.HF_TOKEN },
        { name: 'MY_TOKEN', value: 'my-long-secret' },
      ],
    });
    // A well-known variable holding a placeholder (moto's `test`) is skipped without a word.
    expect(warnings).toEqual(['SHORT is 3 byte(s) long: not redacted (secret values must be 8–4096 bytes)']);
  });

  it('turns scrubbing off with --no-redact, and says so', () => {
    expect(redactionFrom({ redact: false, redactEnv: 'X' }, {})).toEqual({ redact: false, warnings: [expect.stringContaining('--no-redact')] });
  });

  it('refuses names that are not variable names', () => {
    expect(() => redactionFrom({ redactEnv: 'OK,no-dash,1X' }, {})).toThrow(CliConfigError);
  });

  it('parses --redact-env and --no-redact on every shipping command', async () => {
    const seen: Invocation[] = [];
    const io = { stdout: () => {}, stderr: () => {} };
    await buildProgram((i) => void seen.push(i), io).parseAsync(['node', 'joblogs', 'run', '--redact-env', 'A,B', '--', 'true']);
    await buildProgram((i) => void seen.push(i), io).parseAsync(['node', 'joblogs', 'pipe', '--no-redact']);
    expect(seen[0]!.flags).toMatchObject({ redactEnv: 'A,B', redact: true });
    expect(seen[1]!.flags).toMatchObject({ redact: false });
  });
});
