import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool, SpoolError } from '../../../../shared/shipper/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'joblogs-spool-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const header = (seq: number, lines = 2) => ({ seq, lines, nextLine: (seq + 1) * lines, metadata: { format: 'framed-v1' } });

describe('Spool', () => {
  it('starts empty at seq 0 and line 0 in a new directory', async () => {
    const { spool, state } = await Spool.open(path.join(dir, 'job', 'main'));
    expect(spool.entries).toEqual([]);
    expect(state).toEqual({ nextSeq: 0, nextLine: 0, droppedLines: 0 });
  });

  it('keeps chunks in seq order across a reopen, with their metadata and bodies', async () => {
    const { spool } = await Spool.open(dir);
    for (const seq of [0, 1, 2]) await spool.add(header(seq), Buffer.from(`body ${seq}`), { nextSeq: seq + 1, nextLine: (seq + 1) * 2, droppedLines: 0 });
    await spool.remove(spool.oldest()!);
    await spool.release();

    const reopened = await Spool.open(dir);
    expect(reopened.spool.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(reopened.spool.entries[0]!.metadata).toEqual({ format: 'framed-v1' });
    expect((await reopened.spool.readBody(reopened.spool.oldest()!)).toString()).toBe('body 1');
    expect(reopened.state).toEqual({ nextSeq: 3, nextLine: 6, droppedLines: 0 });
    expect(reopened.spool.bytes).toBe(reopened.spool.entries.reduce((n, e) => n + e.bytes, 0));
  });

  it('never hands out a spooled seq or line again, even when the state file lags behind the chunks', async () => {
    const { spool } = await Spool.open(dir);
    await spool.add(header(4), Buffer.from('x'), { nextSeq: 5, nextLine: 10, droppedLines: 3 });
    await spool.release();
    // As if the process died after renaming the chunk but before writing the state.
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ nextSeq: 2, nextLine: 1, droppedLines: 3 }));
    const { state } = await Spool.open(dir);
    expect(state).toEqual({ nextSeq: 5, nextLine: 10, droppedLines: 3 });
  });

  it('discards half-written temporary files left by a crash', async () => {
    writeFileSync(path.join(dir, '0000000000.chunk.123.tmp'), 'half');
    const { spool } = await Spool.open(dir);
    expect(spool.entries).toEqual([]);
    expect(readdirSync(dir)).toEqual(['joblogs.lock']);
  });

  it('refuses an unreadable chunk with a typed error naming the file', async () => {
    writeFileSync(path.join(dir, '0000000000.chunk'), 'no header line');
    await expect(Spool.open(dir)).rejects.toThrow(SpoolError);
    // The failed open left the directory unlocked.
    await expect(Spool.open(dir)).rejects.toThrow(/0000000000\.chunk/);
  });
});
