import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Shipper, ShipperOptionsError } from '../../../../shared/shipper/index.js';
import { EventMarker } from '../../../../shared/shipper/event-marker.js';
import { fakeS3 } from './fake-s3.js';

const OPTIONS = { maxLines: 500, maxBytes: 1 << 20, holdMs: 2000, idleMs: 500 };
const line = (text: string) => Buffer.from(text);

describe('EventMarker', () => {
  it('marks the lines that continue an event, per lane, never across streams', () => {
    const marker = new EventMarker(OPTIONS);
    expect(marker.mark('stderr', line('Traceback (most recent call last):'), '\n', 0)).toBeUndefined();
    expect(marker.mark('stdout', line('  File "not/a/frame.py", line 1, in <module>'), '\n', 1)).toBeUndefined();
    expect(marker.mark('stderr', line('  File "train.py", line 3, in <module>'), '\n', 2)).toBe('continue');
    expect(marker.mark('stderr', line('ValueError: bad shard'), '\n', 3)).toBe('continue');
    expect(marker.mark('stderr', line('2026-11-25 10:00:01 INFO trainer: resumed'), '\n', 4)).toBeUndefined();
  });

  it('never marks a progress bar state or a part of a long line', () => {
    const marker = new EventMarker(OPTIONS);
    marker.mark('stderr', line('Traceback (most recent call last):'), '\n', 0);
    expect(marker.mark('stderr', line('  10%|█'), '\r', 1)).toBeUndefined();
    expect(marker.mark('stderr', line('  File "train.py", line 3, in <module>'), '\n', 2)).toBeUndefined();
    marker.mark('stdout', line('Traceback (most recent call last):'), '\n', 3);
    expect(marker.mark('stdout', line('  File "x'), '', 4)).toBeUndefined();
    expect(marker.mark('stdout', line('.py", line 3, in <module>'), '\n', 5)).toBeUndefined();
  });

  it('lists an event open at a seal, and cuts it when a second chunk is sealed around it', () => {
    const marker = new EventMarker(OPTIONS);
    marker.mark('stderr', line('[rank1]: Traceback (most recent call last):'), '\n', 0);
    expect(marker.sealed()).toEqual(['stderr/rank1']);
    expect(marker.mark('stderr', line('[rank1]:   File "train.py", line 3, in <module>'), '\n', 1)).toBe('continue');
    expect(marker.sealed()).toEqual([]);
    expect(marker.mark('stderr', line('[rank1]: ValueError: bad shard'), '\n', 2)).toBe('cut');
  });

  it('holds a due chunk while an event prints, up to the hold, and lets an idle event go', () => {
    const marker = new EventMarker(OPTIONS);
    marker.mark('stderr', line('Traceback (most recent call last):'), '\n', 1000);
    expect(marker.sealTime(1100, 1100)).toBe(1500);
    marker.mark('stderr', line('  File "train.py", line 3, in <module>'), '\n', 2900);
    expect(marker.sealTime(1100, 2950)).toBe(3100);
    expect(marker.sealTime(1100, 3500)).toBe(1100);
    expect(marker.sealed()).toEqual([]);
  });
});

describe('Shipper with events', () => {
  let spoolDir: string;
  beforeEach(() => {
    spoolDir = mkdtempSync(path.join(tmpdir(), 'joblogs-events-'));
  });
  afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

  it('keeps a traceback printed across a flush in one chunk, and says events: marked', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open({
      jobId: 'job-1',
      bucket: 'joblogs-test',
      spoolDir,
      s3: s3.client,
      flushIntervalMs: 50,
      multiline: { holdMs: 1000, idleMs: 300 },
    });
    shipper.write('stderr', Buffer.from('Traceback (most recent call last):\n'));
    await new Promise((r) => setTimeout(r, 150));
    shipper.write('stderr', Buffer.from('  File "train.py", line 3, in <module>\nValueError: bad shard\n'));
    await shipper.close({ exitCode: 1 });
    const withEvent = s3.objects.find((o) => o.frames.some((f) => f.bytes.toString() === 'ValueError: bad shard'))!;
    expect(withEvent.frames.map((f) => f.mark)).toEqual([undefined, 'continue', 'continue']);
    expect(s3.objects.every((o) => o.metadata['events'] === 'marked' && o.metadata['open-events'] === undefined)).toBe(true);
  });

  it('refuses a pattern that could backtrack for ever before it starts', async () => {
    await expect(Shipper.open({ jobId: 'job-1', bucket: 'joblogs-test', spoolDir, s3: fakeS3().client, multiline: { start: '(a*)*b' } })).rejects.toThrow(
      ShipperOptionsError,
    );
  });

  it('writes no marks with multiline off', async () => {
    const s3 = fakeS3();
    const shipper = await Shipper.open({ jobId: 'job-1', bucket: 'joblogs-test', spoolDir, s3: s3.client, multiline: { enabled: false } });
    shipper.write('stderr', Buffer.from('Traceback (most recent call last):\n  File "train.py", line 3, in <module>\n'));
    await shipper.close({ exitCode: 1 });
    expect(s3.objects.flatMap((o) => o.frames.map((f) => f.mark))).toEqual([undefined, undefined]);
    expect(s3.objects[0]!.metadata).not.toHaveProperty('events');
  });
});
