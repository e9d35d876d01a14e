import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { followFile, parseDockerJsonLine, recordSplitter } from '../../../cli/file-follower.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'joblogs-follow-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('followFile', () => {
  it('reads what is appended, then follows a rename + recreate and a truncation without losing lines', async () => {
    const file = path.join(dir, 'app.log');
    writeFileSync(file, 'one\n');
    const seen: Buffer[] = [];
    const text = () => Buffer.concat(seen).toString();
    const abort = new AbortController();
    const following = followFile(file, { pollIntervalMs: 5, signal: abort.signal, onData: (d) => seen.push(d) });
    await until(() => text() === 'one\n', 'the existing content');
    appendFileSync(file, 'two\n');
    await until(() => text() === 'one\ntwo\n', 'the appended line');

    // logrotate's default: rename, a last write to the old file, then a new file.
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'three (late, old file)\n');
    writeFileSync(file, 'four (new file)\n');
    await until(() => text().endsWith('four (new file)\n'), 'the new file');
    expect(text()).toBe('one\ntwo\nthree (late, old file)\nfour (new file)\n');

    // copytruncate: the same file shrinks and starts again.
    truncateSync(file, 0);
    await new Promise((r) => setTimeout(r, 30));
    appendFileSync(file, 'five\n');
    await until(() => text().endsWith('five\n'), 'the line after truncation');
    abort.abort();
    await following;
    expect(text()).toBe('one\ntwo\nthree (late, old file)\nfour (new file)\nfive\n');
  });

  it('skips existing content with fromEnd', async () => {
    const file = path.join(dir, 'app.log');
    writeFileSync(file, 'old\n');
    const seen: Buffer[] = [];
    const abort = new AbortController();
    const following = followFile(file, { pollIntervalMs: 5, fromEnd: true, signal: abort.signal, onData: (d) => seen.push(d) });
    await new Promise((r) => setTimeout(r, 30));
    appendFileSync(file, 'new\n');
    await until(() => Buffer.concat(seen).toString() === 'new\n', 'the new line');
    abort.abort();
    await following;
  });
});

describe('Docker json-file lines', () => {
  it('keeps the stream, the text and the time', () => {
    expect(parseDockerJsonLine('{"log":"epoch 1\\n","stream":"stderr","time":"2026-11-25T10:00:00.123456789Z"}')).toEqual({
      stream: 'stderr',
      data: Buffer.from('epoch 1\n'),
      time: Date.UTC(2026, 10, 25, 10, 0, 0, 123),
    });
    expect(parseDockerJsonLine('not json')).toBeUndefined();
  });

  it('splits records whatever the read boundaries', () => {
    const records: string[] = [];
    const push = recordSplitter((r) => records.push(r.toString()));
    push(Buffer.from('{"a":1}\n{"b"'));
    push(Buffer.from(':2}\n'));
    expect(records).toEqual(['{"a":1}', '{"b":2}']);
  });
});
