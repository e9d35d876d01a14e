import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  compileRules,
  errorFields,
  laneOf,
  MultilinePatternError,
  Recogniser,
  rulesFromMetadata,
  type UserRules,
} from '../../../../../shared/core/multiline/index.js';
import { CORPUS, corpusLines, type PrintedLine } from '../../../../fixtures/multiline/corpus.js';

interface Found {
  lane: string;
  lines: number[];
}

/** Runs the recogniser over one stream's lines the way the shipper does; progress bar states end their lane's event. */
function recognise(
  lines: readonly PrintedLine[],
  o: { stream?: string; rules?: UserRules; maxLines?: number; maxBytes?: number } = {},
): { events: Found[]; cuts: number[] } {
  const recogniser = new Recogniser({ rules: o.rules, maxLines: o.maxLines, maxBytes: o.maxBytes });
  const open = new Map<string, number[]>();
  const events: Found[] = [];
  const cuts: number[] = [];
  const flush = (lane: string) => {
    const group = open.get(lane);
    open.delete(lane);
    if (group && group.length > 1) events.push({ lane, lines: group });
  };
  let inBar = false;
  lines.forEach((line, i) => {
    const lane = laneOf(o.stream ?? 'stderr', line.text);
    if (inBar || line.terminator === '\r') {
      inBar = line.terminator === '\r';
      recogniser.close(lane.key);
      flush(lane.key);
      return;
    }
    const verdict = recogniser.next(lane.key, line.text.slice(lane.offset), Buffer.byteLength(line.text));
    if (verdict === 'continue') return void open.get(lane.key)!.push(i);
    if (verdict === 'cut') cuts.push(i);
    flush(lane.key);
    if (recogniser.isOpen(lane.key)) open.set(lane.key, [i]);
  });
  for (const lane of [...open.keys()]) flush(lane);
  return { events: events.sort((a, b) => a.lines[0]! - b.lines[0]!), cuts };
}

describe('Recogniser over the corpus of real output', () => {
  for (const { file, events } of CORPUS) {
    it(`finds the events of ${file}, with their error type and message`, () => {
      const lines = corpusLines(file);
      const found = recognise(lines).events;
      expect(found).toEqual(events.map((e) => ({ lane: e.lane, lines: e.lines })).sort((a, b) => a.lines[0]! - b.lines[0]!));
      for (const expected of events) {
        const texts = expected.lines.map((i) => lines[i]!.text).map((t) => t.slice(laneOf('stderr', t).offset));
        expect(errorFields(texts)).toEqual({ type: expected.type, ...(expected.message ? { message: expected.message } : {}) });
      }
    });
  }

  it('never joins a line of another stream to an event', () => {
    const lines: PrintedLine[] = corpusLines('python-chained.log');
    const recogniser = new Recogniser();
    expect(recogniser.next('stderr', lines[0]!.text, 34)).toBe('start');
    expect(recogniser.next('stdout', '  File "looks/like/a/frame.py", line 1, in <module>', 50)).toBe('start');
    expect(recogniser.next('stdout', '  File "looks/like/a/frame.py", line 1, in <module>', 50)).toBe('start');
    expect(recogniser.next('stderr', lines[1]!.text, 40)).toBe('continue');
  });

  it('lets a warning or a log line after the exception end the event', () => {
    const { events } = recognise(corpusLines('python-training-run.log'));
    const lines = corpusLines('python-training-run.log');
    expect(events.map((e) => lines[e.lines.at(-1)! + 1]?.text ?? '(end)')).toEqual([expect.stringContaining('FutureWarning'), '(end)']);
  });
});

describe('event bounds', () => {
  const traceback = (frames: number): PrintedLine[] => [
    { text: 'Traceback (most recent call last):', terminator: '\n' },
    ...Array.from({ length: frames }, (_, i) => ({ text: `  File "deep.py", line ${i}, in f`, terminator: '\n' as const })),
    { text: 'RecursionError: maximum recursion depth exceeded', terminator: '\n' },
    { text: 'after', terminator: '\n' },
  ];

  it('cuts an event at its line bound and lets the rest go on as lines', () => {
    const { events, cuts } = recognise(traceback(10), { maxLines: 5 });
    expect(events).toEqual([{ lane: 'stderr', lines: [0, 1, 2, 3, 4] }]);
    expect(cuts).toEqual([5]);
  });

  it('cuts an event at its byte bound', () => {
    const { events, cuts } = recognise(traceback(10), { maxBytes: 100 });
    expect(events).toEqual([{ lane: 'stderr', lines: [0, 1, 2] }]);
    expect(cuts).toEqual([3]);
  });

  it('holds 500 lines and 1 MiB by default', () => {
    const { events } = recognise(traceback(1000));
    expect(events[0]!.lines).toHaveLength(500);
  });
});

describe('per-job patterns', () => {
  it('groups from a start pattern to the next start', () => {
    const rules = compileRules({ start: '^\\d{4}-\\d\\d-\\d\\d ' });
    const lines = ['2026-11-25 10:00:00 config:', '  lr: 0.1', '  batch: 32', '2026-11-25 10:00:01 next'].map((text) => ({ text, terminator: '\n' as const }));
    expect(recognise(lines, { rules }).events).toEqual([{ lane: 'stderr', lines: [0, 1, 2] }]);
  });

  it('joins lines matching a continue pattern to the line before them', () => {
    const rules = compileRules({ continue: '^\\s+\\|' });
    const lines = ['Summary', '   | loss 0.1', '   | acc 0.9', 'done'].map((text) => ({ text, terminator: '\n' as const }));
    expect(recognise(lines, { rules }).events).toEqual([{ lane: 'stderr', lines: [0, 1, 2] }]);
  });

  it.each([
    ['(a+)+$', 'nests repetitions'],
    ['a'.repeat(300), 'longer than'],
    ['(\\w+)\\1', 'backreferences'],
    ['(?<=a)b', 'lookbehind'],
    ['[unclosed', 'not a valid regular expression'],
    ['', 'empty'],
  ])('refuses %j (%s)', (pattern, why) => {
    expect(() => compilePattern('start', pattern)).toThrow(MultilinePatternError);
    expect(() => compilePattern('start', pattern)).toThrow(new RegExp(why));
  });

  it('matches only the first 1024 characters of a line', () => {
    const test = compilePattern('start', 'needle');
    expect(test(`${'x'.repeat(1020)}needle`)).toBe(false);
    expect(test(`${'x'.repeat(1000)}needle`)).toBe(true);
  });

  it('ignores refused patterns from chunk metadata and says why, instead of failing the chunk', () => {
    expect(rulesFromMetadata({ 'multiline-start': '(a*)*b' })).toEqual({ refused: expect.stringContaining('nests repetitions') });
    expect(rulesFromMetadata({ 'multiline-start': '^\\[' }).rules?.first).toBeDefined();
    expect(rulesFromMetadata({})).toEqual({});
  });
});
