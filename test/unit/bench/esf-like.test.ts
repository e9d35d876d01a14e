import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEsfPython, runEsfChild } from '../../../bench/indexer-esf.js';
import { writeGzipLog } from '../../../testkit/synthetic-log.js';

// The ESF-like baseline of bench/indexer-cpu.ts must do all of its work: one document and one bulk action per line.
describe('bench/esf_like.py (the ESF-like baseline)', () => {
  let dir: string;
  let python: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'esf-like-'));
    python = await ensureEsfPython();
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The bulk body pairs the forwarder wrote: [action, document]. */
  async function forward(gzip: Buffer): Promise<{ docs: number; pairs: [Record<string, unknown>, Record<string, unknown>][] }> {
    const file = path.join(dir, 'in.log.gz');
    const body = path.join(dir, 'body.ndjson');
    writeFileSync(file, gzip);
    const result = await runEsfChild(python, file, ['--dump-body', body]);
    const lines = readFileSync(body, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const pairs: [Record<string, unknown>, Record<string, unknown>][] = [];
    for (let i = 0; i < lines.length; i += 2) pairs.push([JSON.parse(lines[i]!), JSON.parse(lines[i + 1]!)]);
    return { docs: result['docs'] as number, pairs };
  }

  it('writes a create action and a document for every non-blank line of the synthetic training log, in order', async () => {
    const file = path.join(dir, 'synthetic.log.gz');
    await writeGzipLog(file, { seed: 42, totalBytes: 512 * 1024 });
    const text = gunzipSync(readFileSync(file)).toString('utf8');
    // Python's str.splitlines: \n, \r\n, \r and the rarer separators end a line.
    const expected = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/).filter((l) => l.trim() !== '');
    const { docs, pairs } = await forward(readFileSync(file));
    expect(expected.length).toBeGreaterThan(1000);
    expect(docs).toBe(expected.length);
    expect(pairs.map(([, doc]) => doc['message'])).toEqual(expected);
    expect(pairs.every(([action]) => Object.keys(action).join() === 'create')).toBe(true);
    expect(new Set(pairs.map(([action]) => (action['create'] as { _id: string })._id)).size).toBe(docs);
  }, 120_000);

  it('collects a JSON object spread over several lines into one document, as ESF does', async () => {
    const { pairs } = await forward(gzipSync('starting\n{\n  "lr": 0.1\n}\n{"step": 1}\n'));
    expect(pairs.map(([, doc]) => doc['message'])).toEqual(['starting', '{\n  "lr": 0.1\n}', '{"step": 1}']);
  }, 60_000);
});
