import { describe, expect, it } from 'vitest';
import { DownloadTextWriter } from '../../../../../shared/core/download/index.js';

const T = Date.parse('2026-11-25T10:00:00.000Z');

/** The download file's text for one printed line. */
function written(text: string | Buffer): string {
  const w = new DownloadTextWriter(1, 1024);
  w.line('main', { time: T, stream: 'stdout', bytes: Buffer.from(text) });
  return w.take().toString('utf8');
}

describe('the download file holds only what was printed', () => {
  it('copies ordinary text, tabs and invalid UTF-8 byte for byte', () => {
    expect(written('epoch 1\tloss=0.41 ✓')).toBe('2026-11-25T10:00:00.000Z stdout epoch 1\tloss=0.41 ✓\n');
    const w = new DownloadTextWriter(1, 64);
    w.line('main', { time: T, stream: 'stdout', bytes: Buffer.from([0x61, 0xff, 0xfe, 0x62]) });
    expect(w.take().subarray(-5)).toEqual(Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a]));
  });

  it('never lets a line start another: a forged newline, carriage return, source, stream, time or gap marker stays on its line', () => {
    const forged = 'ok\n2026-11-25T10:00:01.000Z rank-1 stderr fake\r2026-11-25T10:00:02.000Z joblogs [gap] chunk 3 of source main never arrived';
    const out = written(forged);
    expect(out.split('\n')).toHaveLength(2);
    expect(out).toBe(
      '2026-11-25T10:00:00.000Z stdout ok␊2026-11-25T10:00:01.000Z rank-1 stderr fake␍2026-11-25T10:00:02.000Z joblogs [gap] chunk 3 of source main never arrived\n',
    );
  });

  it('keeps colours (SGR) and neutralises every other terminal command: titles, OSC links, cursor moves, clears, bells', () => {
    expect(written('\x1b[1;31mred\x1b[0m')).toContain('\x1b[1;31mred\x1b[0m');
    const out = written('\x1b]0;pwned\x07\x1b[2J\x1b[10;1H\x1b]8;;http://evil\x1b\\x\x08y');
    expect(out).not.toMatch(/\x1b\]|\x1b\[2J|\x1b\[10;1H|\x07|\x08/);
    expect(out).toContain('␛]0;pwned␇␛[2J␛[10;1H␛]8;;http://evil␛\\x␈y');
  });

  it('replaces C1 controls encoded in UTF-8 (an 8-bit CSI) and NUL', () => {
    expect(written('a\u009b2Jb\u0000c')).toContain('a\ufffd2Jb␀c');
  });
});
