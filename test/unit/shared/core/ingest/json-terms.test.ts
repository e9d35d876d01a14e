import { describe, expect, it } from 'vitest';
import { MAX_JSON_TERMS, MAX_JSON_TERMS_CHARS, userJsonQuery, writeJsonTerms } from '../../../../../shared/core/ingest/index.js';
import { JsonBytes } from '../../../../../shared/core/ingest/json-bytes.js';

/** What the writer writes: its bytes, the terms they hold, and whether it cut. */
function written(fields: Record<string, unknown>): { json: string; terms: string[]; cut: boolean } {
  const out = new JsonBytes(8);
  const cut = writeJsonTerms(out, fields);
  const json = out.view().toString('utf8');
  return { json, terms: json === '' ? [] : (JSON.parse(json) as string[]), cut };
}

describe('writeJsonTerms', () => {
  it('gives every leaf as its dotted path and value, numbers and booleans as JSON writes them', () => {
    expect(written({ step: 12, loss: 1.5e-7, ok: true, name: 'run=3', metrics: { top1: 0.5, eval: { f1: '0.9' } } })).toMatchObject({
      terms: ['step=12', 'loss=1.5e-7', 'ok=true', 'name=run=3', 'metrics.top1=0.5', 'metrics.eval.f1=0.9'],
      cut: false,
    });
  });

  it("gives an array's items its path, objects in it included, and leaves null out", () => {
    expect(written({ tags: ['a', 'b'], shards: [{ id: 1 }, { id: 2, x: null }], none: null, nested: [[1, [2]]] })).toMatchObject({
      terms: ['tags=a', 'tags=b', 'shards.id=1', 'shards.id=2', 'nested=1', 'nested=2'],
      cut: false,
    });
  });

  it('writes nothing for JSON without leaves', () => {
    expect(written({ a: {}, b: [null], c: { d: [] } })).toEqual({ json: '', terms: [], cut: false });
  });

  it('writes exactly what JSON.stringify writes for the same terms, escapes and non-ASCII included', () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [
        { 'say "hi"': 'back\\slash', nl: 'a\nb\tc\u0001', ключ: 'значение 🚀', lone: '\ud800x', pair: '\ud83d\ude80', sep: 'a\u2028b' },
        ['say "hi"=back\\slash', 'nl=a\nb\tc\u0001', 'ключ=значение 🚀', 'lone=\ud800x', 'pair=\ud83d\ude80', 'sep=a\u2028b'],
      ],
      [{ deep: { er: [{ x: true }, { y: -0.5e-9 }, null, 'z'] }, n: 1e21 }, ['deep.er.x=true', 'deep.er.y=-5e-10', 'deep.er=z', 'n=1e+21']],
      [
        { long: 'x'.repeat(100), longQuote: `${'y'.repeat(70)}"`, longUnicode: 'é'.repeat(80), del: '\u007f', [`k${'e'.repeat(70)}`]: 1 },
        [`long=${'x'.repeat(100)}`, `longQuote=${'y'.repeat(70)}"`, `longUnicode=${'é'.repeat(80)}`, 'del=\u007f', `k${'e'.repeat(70)}=1`],
      ],
    ];
    for (const [fields, terms] of cases) expect(written(fields).json).toBe(JSON.stringify(terms));
  });

  it('keeps at most MAX_JSON_TERMS terms and says it cut the rest', () => {
    const wide = Object.fromEntries(Array.from({ length: MAX_JSON_TERMS + 5 }, (_, i) => [`k${i}`, i]));
    const { terms, cut } = written(wide);
    expect(terms).toHaveLength(MAX_JSON_TERMS);
    expect(terms.at(-1)).toBe(`k${MAX_JSON_TERMS - 1}=${MAX_JSON_TERMS - 1}`);
    expect(cut).toBe(true);
  });

  it('keeps at most MAX_JSON_TERMS_CHARS characters of terms, even when paths repeat past the size of the line', () => {
    const key = 'p'.repeat(200);
    const deep = { [key]: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`${key}${i}`, 1])) };
    const { terms, cut } = written(deep);
    expect(cut).toBe(true);
    expect(terms.reduce((n, t) => n + t.length, 0)).toBeLessThanOrEqual(MAX_JSON_TERMS_CHARS);
    expect(terms.length).toBeGreaterThan(100);
  });
});

describe('userJsonQuery', () => {
  it('asks a flattened or flat_object field by path, and json_kv terms by path=value', () => {
    expect(userJsonQuery('flattened', 'metrics.top1', '0.5')).toEqual({ term: { 'json.metrics.top1': '0.5' } });
    expect(userJsonQuery('flat_object', 'step', '3')).toEqual({ term: { 'json.step': '3' } });
    expect(userJsonQuery('terms', 'metrics.top1', '0.5')).toEqual({ term: { 'joblogs.json_kv': 'metrics.top1=0.5' } });
  });
});
