import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ALL_RULES,
  SCRUB_RULES,
  ScrubConfigError,
  Scrubber,
  secretsFromEnvironment,
  StreamScrubber,
  type ScrubbedLine,
  type SecretValue,
} from '../../../../../shared/core/scrub/index.js';
import { LineCapture } from '../../../../../shared/shipper/line-capture.js';

interface Vectors {
  secrets: SecretValue[];
  cases: Array<{ name: string; input: string; expected: string | null }>;
  streams: Array<{ name: string; maxLineBytes: number; writes: string[]; lines: string[] }>;
}

const vectors = JSON.parse(readFileSync(new URL('../../../../fixtures/scrub/vectors.json', import.meta.url), 'utf8')) as Vectors;

/** Feeds writes through the shipper's line capture and a stream scrubber, as the framer does; returns the logical lines (parts joined). */
function shipStream(scrubber: Scrubber, writes: readonly (string | Buffer)[], maxLineBytes = 256 * 1024): { lines: string[]; parts: ScrubbedLine[] } {
  const capture = new LineCapture(maxLineBytes);
  const stream = new StreamScrubber(scrubber, { maxLineBytes });
  const parts: ScrubbedLine[] = [];
  const emit = (line: ScrubbedLine) => parts.push({ ...line, bytes: Buffer.from(line.bytes) });
  for (const write of writes) {
    const data = Buffer.isBuffer(write) ? write : Buffer.from(write);
    stream.scan(data);
    capture.push(data, 0, (line) => stream.line(line, emit));
  }
  capture.end(0, (line) => stream.line(line, emit));
  stream.end(emit);
  const lines: string[] = [];
  let current: Buffer[] = [];
  for (const part of parts) {
    current.push(part.bytes);
    if (part.terminator !== '') {
      lines.push(Buffer.concat(current).toString('utf8'));
      current = [];
    }
  }
  if (current.length > 0) lines.push(Buffer.concat(current).toString('utf8'));
  return { lines, parts };
}

describe('the contract vectors (test/fixtures/scrub/vectors.json)', () => {
  it.each(vectors.cases)('$name', ({ input, expected }) => {
    const { lines } = shipStream(new Scrubber({ secrets: vectors.secrets }), [`${input}\n`]);
    expect(lines).toEqual([expected ?? input]);
  });

  it.each(vectors.streams)('stream: $name', ({ writes, lines, maxLineBytes }) => {
    expect(shipStream(new Scrubber({ secrets: vectors.secrets }), writes, maxLineBytes).lines).toEqual(lines);
  });

  it('finds through the prefilter exactly what a search with every rule finds', () => {
    for (const { input } of vectors.cases) {
      const gated = shipStream(new Scrubber({ secrets: vectors.secrets }), [`${input}\n`]).lines[0];
      const everything = new Scrubber({ secrets: vectors.secrets }).scrub(Buffer.from(input).toString('latin1'), ALL_RULES, { inBlock: false, lines: 0 }).text;
      expect(gated).toBe(Buffer.from(everything, 'latin1').toString('utf8'));
    }
  });
});

describe('Scrubber', () => {
  it('counts what it redacted, by kind', () => {
    const scrubber = new Scrubber({ secrets: [{ name: 'HF_TOKEN', value: 'abcdefgh12345678' }] });
    shipStream(scrubber, ['AKIAIOSFODNN7EXAMPLE and AKIAIOSFODNN7EXAMPLF\n', 'abcdefgh12345678 twice abcdefgh12345678\n']);
    expect(scrubber.counts).toEqual({ 'aws-access-key-id': 2, 'env:HF_TOKEN': 2 });
  });

  it('passes lines without a trigger on as the very same bytes, invalid UTF-8 included', () => {
    const scrubber = new Scrubber();
    const line = Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0x20, 0x41]);
    const { parts } = shipStream(scrubber, [Buffer.concat([line, Buffer.from('\n')])]);
    expect(parts[0]!.bytes.equals(line)).toBe(true);
    expect(scrubber.counts).toEqual({});
  });

  it('keeps the bytes around a redaction exactly, invalid UTF-8 included', () => {
    const line = Buffer.concat([Buffer.from([0xff, 0x20]), Buffer.from('AKIAIOSFODNN7EXAMPLE'), Buffer.from([0x20, 0xc3, 0xa9, 0x0a])]);
    const { parts } = shipStream(new Scrubber(), [line]);
    expect(
      parts[0]!.bytes.equals(Buffer.concat([Buffer.from([0xff, 0x20]), Buffer.from('[REDACTED:aws-access-key-id]'), Buffer.from([0x20, 0xc3, 0xa9])])),
    ).toBe(true);
  });

  it('redacts a secret value on every line of a multi-line value', () => {
    const scrubber = new Scrubber({ secrets: [{ name: 'CERT', value: 'first-line-secret\nsecond-line-secret\nshort' }] });
    expect(shipStream(scrubber, ['first-line-secret\nsecond-line-secret\nshort\n']).lines).toEqual(['[REDACTED:env:CERT]', '[REDACTED:env:CERT]', 'short']);
  });

  it('with patterns off, redacts only the given values', () => {
    const scrubber = new Scrubber({ patterns: false, secrets: [{ name: 'X', value: '12345678' }] });
    expect(shipStream(scrubber, ['AKIAIOSFODNN7EXAMPLE 12345678\n']).lines).toEqual(['AKIAIOSFODNN7EXAMPLE [REDACTED:env:X]']);
    expect(new Scrubber({ patterns: false }).idle).toBe(true);
  });

  it('refuses values too short to redact safely, too long, badly named or too many — listing each', () => {
    const error = (() => {
      try {
        new Scrubber({
          secrets: [
            { name: 'A', value: 'short' },
            { name: 'B', value: 'x'.repeat(SCRUB_RULES.maxSecretBytes + 1) },
            { name: 'bad name', value: '12345678' },
          ],
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ScrubConfigError);
    expect((error as ScrubConfigError).problems).toHaveLength(3);
    expect(() => new Scrubber({ secrets: Array.from({ length: 257 }, (_, i) => ({ name: `S${i}`, value: `value-${i}-long` })) })).toThrow(/at most 256/);
  });

  it('redacts every PEM line of a key block, however it is written, and counts one key', () => {
    const scrubber = new Scrubber();
    const key = [
      '-----BEGIN OPENSSH PRIVATE KEY-----',
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
      'QyNTUxOQAAACDm',
      '-----END OPENSSH PRIVATE KEY-----',
    ].join('\n');
    const writes = [...key].map((c) => c); // one byte per write
    expect(shipStream(scrubber, [...writes, '\nafter\n']).lines).toEqual([
      '[REDACTED:private-key]',
      '[REDACTED:private-key]',
      '[REDACTED:private-key]',
      '[REDACTED:private-key]',
      'after',
    ]);
    expect(scrubber.counts).toEqual({ 'private-key': 1 });
  });

  it('finds every secret of a write of many lines, whatever order their triggers are found in', () => {
    const lines = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0 ? `${i} AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY` : `${i} id AKIAIOSFODNN7EXAMPLE`,
    );
    const scrubber = new Scrubber();
    const shipped = shipStream(scrubber, [`${lines.join('\n')}\n`]).lines;
    expect(shipped.filter((l) => l.includes('EXAMPLE'))).toEqual([]);
    expect(scrubber.counts).toEqual({ 'aws-secret-access-key': 25, 'aws-access-key-id': 25 });
  });

  it('finds a trigger split at every possible write boundary', () => {
    const line = 'call with Authorization: Bearer 0123456789abcdef and hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567 end\n';
    for (let cut = 1; cut < line.length; cut++) {
      const { lines } = shipStream(new Scrubber(), [line.slice(0, cut), line.slice(cut)]);
      expect(lines, `cut at ${cut}`).toEqual(['call with Authorization: Bearer [REDACTED:bearer-token] and [REDACTED:huggingface-token] end']);
    }
  });

  it('finds a secret wherever a long line is cut into parts, and redacts it once', () => {
    const jwt = vectors.cases.find((c) => c.name === 'jwt alone')!.input.split(' ')[1]!;
    const maxLineBytes = 8192;
    for (const at of [0, 4000, 4090, 4096, 4100, 8100, 8150, 8191, 8192, 12_000, 16_300]) {
      const scrubber = new Scrubber();
      const line = `${'x'.repeat(at)} ${jwt} tail`;
      const { lines, parts } = shipStream(scrubber, [line.slice(0, 5000), line.slice(5000), '\n'], maxLineBytes);
      expect(lines, `secret at ${at}`).toEqual([`${'x'.repeat(at)} [REDACTED:jwt] tail`]);
      expect(scrubber.counts).toEqual({ jwt: 1 });
      expect(Math.max(...parts.map((p) => p.bytes.length))).toBeLessThanOrEqual(maxLineBytes);
    }
  });

  it('keeps every shipped part within the line limit, even when a redaction lengthens the line', () => {
    const maxLineBytes = 40;
    const line = `${Array.from({ length: 20 }, (_, i) => `redis://:pw${i}@h`).join(' ')}\n`;
    const { lines, parts } = shipStream(new Scrubber(), [line], maxLineBytes);
    expect(lines[0]).toBe(line.trimEnd().replace(/:pw\d+@/g, ':[REDACTED:url-password]@'));
    expect(Math.max(...parts.map((p) => p.bytes.length))).toBeLessThanOrEqual(maxLineBytes);
  });
});

describe('the rules file', () => {
  it('is portable: no named groups, no lookbehind, and every trigger fits the seam the prefilter searches', () => {
    const kinds = new Set<string>();
    for (const rule of SCRUB_RULES.rules) {
      expect(rule.pattern).not.toMatch(/\(\?<|\(\?P/);
      expect(() => new RegExp(rule.pattern, rule.flags)).not.toThrow();
      for (const trigger of rule.triggers) expect(Buffer.byteLength(trigger)).toBeLessThanOrEqual(64);
      expect(kinds.has(rule.kind)).toBe(false);
      kinds.add(rule.kind);
    }
  });
});

describe('secretsFromEnvironment', () => {
  it('takes the named and the well-known variables that are set, and lists values too short to redact', () => {
    const env = { HF_TOKEN: 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567', MY_KEY: 'k', OTHER: 'not-asked-for', WANDB_API_KEY: '' };
    const { secrets, skipped } = secretsFromEnvironment(['MY_KEY'], env);
    expect(secrets).toEqual([{ name: 'HF_TOKEN', value: env.HF_TOKEN }]);
    expect(skipped).toEqual([{ name: 'MY_KEY', bytes: 1 }]);
    expect(secretsFromEnvironment([], env, { defaults: false }).secrets).toEqual([]);
  });
});
