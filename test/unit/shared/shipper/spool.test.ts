import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    const { spool, state } = await Spool.open(dir, path.join(dir, 'job', 'main'));
    expect(spool.entries).toEqual([]);
    expect(state).toEqual({ nextSeq: 0, nextLine: 0, droppedLines: 0 });
  });

  it('keeps chunks in seq order across a reopen, with their metadata and bodies', async () => {
    const { spool } = await Spool.open(dir, dir);
    for (const seq of [0, 1, 2]) await spool.add(header(seq), Buffer.from(`body ${seq}`), { nextSeq: seq + 1, nextLine: (seq + 1) * 2, droppedLines: 0 });
    await spool.remove(spool.oldest()!);
    await spool.release();

    const reopened = await Spool.open(dir, dir);
    expect(reopened.spool.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(reopened.spool.entries[0]!.metadata).toEqual({ format: 'framed-v1' });
    expect((await reopened.spool.readBody(reopened.spool.oldest()!)).toString()).toBe('body 1');
    expect(reopened.state).toEqual({ nextSeq: 3, nextLine: 6, droppedLines: 0 });
    expect(reopened.spool.bytes).toBe(reopened.spool.entries.reduce((n, e) => n + e.bytes, 0));
  });

  it('never hands out a spooled seq or line again, even when the state file lags behind the chunks', async () => {
    const { spool } = await Spool.open(dir, dir);
    await spool.add(header(4), Buffer.from('x'), { nextSeq: 5, nextLine: 10, droppedLines: 3 });
    await spool.release();
    // As if the process died after renaming the chunk but before writing the (newer) state.
    const older = await Spool.open(dir, dir);
    await older.spool.saveState({ nextSeq: 2, nextLine: 1, droppedLines: 3 });
    await older.spool.release();
    const { state } = await Spool.open(dir, dir);
    expect(state).toEqual({ nextSeq: 5, nextLine: 10, droppedLines: 3 });
  });

  it('discards half-written temporary files left by a crash', async () => {
    writeFileSync(path.join(dir, '0000000000.chunk.123.tmp'), 'half');
    const { spool } = await Spool.open(dir, dir);
    expect(spool.entries).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['joblogs.lock', 'spool.key']);
  });

  it('sets aside a chunk it did not write (no MAC, or a forged one) and never hands it out for upload', async () => {
    const first = await Spool.open(dir, dir);
    await first.spool.add(header(0), Buffer.from('ours'), { nextSeq: 1, nextLine: 2, droppedLines: 0 });
    await first.spool.release();
    writeFileSync(path.join(dir, '0000000001.chunk'), `${JSON.stringify({ ...header(1), mac: 'ab'.repeat(32) })}\nplanted`);
    writeFileSync(path.join(dir, '0000000002.chunk'), 'no header line');
    const { spool, rejected } = await Spool.open(dir, dir);
    expect(spool.entries.map((e) => e.seq)).toEqual([0]);
    expect(rejected.map((f) => path.basename(f)).sort()).toEqual(['0000000001.chunk', '0000000002.chunk']);
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.rejected'))
        .sort(),
    ).toEqual(['0000000001.chunk.rejected', '0000000002.chunk.rejected']);
  });

  it('refuses a chunk whose bytes changed on disk after it was spooled', async () => {
    const { spool } = await Spool.open(dir, dir);
    // Two 1.5 MiB bodies: the first is no longer among the recent bodies kept in memory, so it is read back from disk.
    const ours = Buffer.alloc(1536 * 1024, 'o');
    await spool.add(header(0), ours, { nextSeq: 1, nextLine: 2, droppedLines: 0 });
    await spool.add(header(1), Buffer.alloc(1536 * 1024, 'p'), { nextSeq: 2, nextLine: 4, droppedLines: 0 });
    const entry = spool.oldest()!;
    const raw = readFileSync(entry.file);
    writeFileSync(entry.file, Buffer.concat([raw.subarray(0, raw.length - 4), Buffer.from('evil')]));
    await expect(spool.readBody(entry)).rejects.toThrow(SpoolError);
  });

  it('hands out the bytes it wrote for a chunk still in memory, whatever happened to its file since', async () => {
    const { spool } = await Spool.open(dir, dir);
    await spool.add(header(0), Buffer.from('ours'), { nextSeq: 1, nextLine: 2, droppedLines: 0 });
    const entry = spool.oldest()!;
    const raw = readFileSync(entry.file);
    writeFileSync(entry.file, Buffer.concat([raw.subarray(0, raw.length - 4), Buffer.from('evil')]));
    expect((await spool.readBody(entry)).toString()).toBe('ours');
    await spool.release();
    // A later shipper reads it from disk, and sets it aside.
    const reopened = await Spool.open(dir, dir);
    expect(reopened.spool.entries).toEqual([]);
    expect(reopened.rejected.map((f) => path.basename(f))).toEqual(['0000000000.chunk']);
  });

  it('refuses a state file it did not write', async () => {
    await (await Spool.open(dir, dir)).spool.release();
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify({ nextSeq: 0, nextLine: 0, droppedLines: 0 }));
    await expect(Spool.open(dir, dir)).rejects.toThrow(/state.*MAC/);
  });

  it('keeps its files private: directories 0700, files 0600', async () => {
    const { spool } = await Spool.open(dir, path.join(dir, 'job', 'main'));
    await spool.add(header(0), Buffer.from('x'), { nextSeq: 1, nextLine: 2, droppedLines: 0 });
    expect(statSync(path.join(dir, 'job')).mode & 0o777).toBe(0o700);
    expect(statSync(spool.dir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(spool.dir)) expect(statSync(path.join(spool.dir, name)).mode & 0o077).toBe(0);
  });
});
