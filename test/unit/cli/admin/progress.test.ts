import { describe, expect, it } from 'vitest';
import { Progress } from '../../../../cli/admin/progress.js';

describe('Progress', () => {
  it('redraws a bar in place at a terminal, with the rate', () => {
    let now = 0;
    const out: string[] = [];
    const p = new Progress(
      { stdout: () => {}, stderr: (t) => void out.push(t), stderrIsTty: true },
      { unit: 'chunks', total: 10, enabled: true, now: () => now },
    );
    now = 1000;
    p.advance(5);
    now = 2000;
    p.finish();
    expect(out[0]).toBe(`\r[=============>              ] 50% 5/10 chunks, 5.0 chunks/s\x1b[K`);
    expect(out.at(-1)).toBe('\n');
  });

  it('writes a line now and then in a log, and nothing when disabled', () => {
    let now = 0;
    const out: string[] = [];
    const io = { stdout: () => {}, stderr: (t: string) => void out.push(t), stderrIsTty: false };
    const p = new Progress(io, { unit: 'messages', enabled: true, now: () => now });
    for (let i = 1; i <= 20; i++) {
      now = i * 1000;
      p.advance();
    }
    expect(out).toEqual(['5 messages, 1.0 messages/s\n', '10 messages, 1.0 messages/s\n', '15 messages, 1.0 messages/s\n', '20 messages, 1.0 messages/s\n']);
    const quiet: string[] = [];
    const q = new Progress({ ...io, stderr: (t) => void quiet.push(t) }, { unit: 'x', enabled: false, now: () => now });
    q.advance(100);
    q.finish();
    expect(quiet).toEqual([]);
  });
});
