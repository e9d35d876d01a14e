import { ScrubConfigError } from './errors.js';
import { Prefilter, type Trigger } from './prefilter.js';
import { redactionOf, SCRUB_RULES, type ScrubRuleSpec } from './rules.js';

/** A value to redact wherever it appears, e.g. an environment variable the job declares secret. */
export interface SecretValue {
  /** Names the redaction: `[REDACTED:env:<name>]`. */
  name: string;
  value: string;
}

export interface ScrubberOptions {
  /** Exact values to redact (each at least `minSecretBytes` long). */
  secrets?: readonly SecretValue[];
  /** The built-in patterns of `rules.json` (default true). */
  patterns?: boolean;
}

/** Redactions made, by kind (`aws-access-key-id`, `env:HF_TOKEN`, …). */
export type RedactionCounts = Record<string, number>;

/** Whether a stream is inside a private key block (its PEM body lines are redacted whole). */
export interface KeyBlockState {
  inBlock: boolean;
  lines: number;
}

/** Every rule: what a continuation part (whose neighbours are unknown) is searched with. */
export const ALL_RULES = -1;

const SECRETS_BIT = 1;
const PRIVATE_KEY_BIT = 2;
const FIRST_RULE_BIT = 2;
/** Longest trigger literal the prefilter must find across two writes (see {@link Scrubber.junctionBytes}). */
const MAX_TRIGGER_BYTES = 64;
const MAX_SECRETS = 256;

interface CompiledRule {
  kind: string;
  bit: number;
  regex: RegExp;
  group: number;
  replacement: string;
  triggers: string[];
  caseInsensitive: boolean;
}

/** One secret found in a line: `start…end` of the text is replaced. */
interface Span {
  start: number;
  end: number;
  kind: string;
  replacement: string;
  /** Lower wins when two secrets start at the same place: values, then keys, then the rules in order. */
  priority: number;
  /** A key header without its end line: the following PEM lines belong to it. */
  opensBlock?: boolean;
}

interface CompiledSecret {
  kind: string;
  /** The value's UTF-8 bytes as Latin-1 text: lines are searched byte for byte. */
  text: string;
  replacement: string;
}

/**
 * Replaces secrets in lines by `[REDACTED:<kind>]`: exact values (environment variables the job
 * declares secret) and the patterns of `rules.json`. Text is a line's bytes read as Latin-1, so
 * any byte sequence (invalid UTF-8 included) goes through unchanged but for the redactions.
 *
 * Cheap on clean output: a {@link prefilter} finds the rules' trigger literals in whole writes
 * at once, and only lines holding a trigger are searched, each with only the rules it triggered.
 *
 * @example
 * const scrubber = new Scrubber({ secrets: [{ name: 'HF_TOKEN', value: process.env.HF_TOKEN }] });
 * scrubber.scrub('login hf_abc…', ALL_RULES, { inBlock: false, lines: 0 }).text; // 'login [REDACTED:env:HF_TOKEN]'
 */
export class Scrubber {
  /** Finds trigger literals and secret values: every secret the rules find holds one. */
  readonly prefilter: Prefilter;
  /** Bytes of the previous write kept to find a trigger split across two writes. */
  readonly junctionBytes: number;
  /** Redactions made so far, by kind. */
  readonly counts: RedactionCounts = {};
  readonly #rules: CompiledRule[];
  readonly #secrets: CompiledSecret[];
  readonly #privateKey: { begin: RegExp; end: RegExp; body: RegExp; maxBodyLines: number; replacement: string; kind: string } | undefined;

  constructor(options: ScrubberOptions = {}) {
    const patterns = options.patterns ?? true;
    this.#secrets = compileSecrets(options.secrets ?? []);
    this.#rules = patterns ? SCRUB_RULES.rules.map((spec, i) => compileRule(spec, 1 << (FIRST_RULE_BIT + i))) : [];
    const pk = SCRUB_RULES.privateKey;
    this.#privateKey = patterns
      ? {
          begin: new RegExp(pk.begin, 'g'),
          end: new RegExp(pk.end, 'g'),
          body: new RegExp(pk.body),
          maxBodyLines: pk.maxBodyLines,
          replacement: redactionOf(pk.kind),
          kind: pk.kind,
        }
      : undefined;
    const triggers: Trigger[] = this.#secrets.map((s) => ({ literal: s.text, caseSensitive: true, mask: SECRETS_BIT, value: true }));
    if (patterns) triggers.push(...pk.triggers.map((literal) => ({ literal, caseSensitive: true, mask: PRIVATE_KEY_BIT })));
    // A rule's triggers are matched as the rule itself is: case-insensitively only when it is (and the trigger has letters).
    for (const rule of this.#rules)
      triggers.push(...rule.triggers.map((literal) => ({ literal, caseSensitive: !rule.caseInsensitive || !/[a-z]/i.test(literal), mask: rule.bit })));
    this.prefilter = new Prefilter(triggers);
    this.junctionBytes = Math.max(MAX_TRIGGER_BYTES, this.prefilter.longest);
  }

  /** True when there is nothing to look for (no patterns, no secrets). */
  get idle(): boolean {
    return this.#rules.length === 0 && this.#secrets.length === 0;
  }

  /**
   * The line with every secret the rules in `mask` find replaced. `block` is the stream's
   * private-key state: a header without its end line makes the following PEM body lines redacted
   * whole, until the end line (or a line that is not PEM).
   *
   * Secrets are found on the original text, and where two overlap the one that starts first
   * wins (then the rule listed first). With `limit`, only secrets starting before it are
   * replaced, and `consumed` says how much of `text` the result stands for (at least `limit`, more
   * when a secret crosses it): the rest is for the caller to search again with what follows.
   */
  scrub(text: string, mask: number, block: KeyBlockState, limit = Infinity): { text: string; consumed: number } {
    let out = '';
    let pos = 0;
    if (block.inBlock) {
      const inside = this.#continueBlock(text, block);
      if (inside !== undefined) return { text: inside, consumed: text.length };
      // The block's end line: redacted up to the end marker; the rest of the line is searched.
      if (this.#blockEnd >= 0) {
        out = this.#privateKey!.replacement;
        pos = this.#blockEnd;
      }
    }
    for (const span of this.#spans(text, pos, mask)) {
      if (span.start >= limit) break;
      out += text.slice(pos, span.start) + span.replacement;
      pos = span.end;
      this.#count(span.kind, 1);
      if (span.opensBlock) {
        block.inBlock = true;
        block.lines = 0;
      }
    }
    const consumed = limit === Infinity ? text.length : Math.min(text.length, Math.max(pos, limit));
    return { text: out + text.slice(pos, consumed), consumed };
  }

  /** Every secret in `text` from `from` on, in order, without overlaps. */
  #spans(text: string, from: number, mask: number): Span[] {
    const found: Span[] = [];
    if (mask & SECRETS_BIT) {
      for (const secret of this.#secrets) {
        for (let at = text.indexOf(secret.text, from); at !== -1; at = text.indexOf(secret.text, at + secret.text.length)) {
          found.push({ start: at, end: at + secret.text.length, kind: secret.kind, replacement: secret.replacement, priority: 0 });
        }
      }
    }
    if (mask & PRIVATE_KEY_BIT && this.#privateKey) found.push(...this.#keySpans(text, from));
    this.#rules.forEach((rule, i) => {
      if (!(mask & rule.bit)) return;
      rule.regex.lastIndex = from;
      for (let m = rule.regex.exec(text); m !== null; m = rule.regex.exec(text)) {
        const span = m.indices?.[rule.group];
        if (span) found.push({ start: span[0], end: span[1], kind: rule.kind, replacement: rule.replacement, priority: 2 + i });
        // A zero-length match cannot happen with these patterns; never loop on one anyway.
        if (m[0].length === 0) rule.regex.lastIndex++;
      }
    });
    found.sort((a, b) => a.start - b.start || a.priority - b.priority || b.end - a.end);
    const spans: Span[] = [];
    let end = from;
    for (const span of found) {
      if (span.start < end || span.end <= span.start) continue;
      spans.push(span);
      end = span.end;
    }
    return spans;
  }

  /** Header … end on one line (e.g. a JSON-escaped key) is one secret; a header alone runs to the end of the line and opens a block. */
  #keySpans(text: string, from: number): Span[] {
    const pk = this.#privateKey!;
    const spans: Span[] = [];
    pk.begin.lastIndex = from;
    for (let begin = pk.begin.exec(text); begin !== null; begin = pk.begin.exec(text)) {
      pk.end.lastIndex = begin.index + begin[0].length;
      const end = pk.end.exec(text);
      spans.push({
        start: begin.index,
        end: end ? end.index + end[0].length : text.length,
        kind: pk.kind,
        replacement: pk.replacement,
        priority: 1,
        opensBlock: !end,
      });
      if (!end) break;
      pk.begin.lastIndex = end.index + end[0].length;
    }
    return spans;
  }

  /** Where the end marker of the block ended, set by {@link #continueBlock} (-1: not found). */
  #blockEnd = -1;

  /** A line inside a key block: its redacted form, or undefined once the block is over (see {@link #blockEnd}). */
  #continueBlock(text: string, block: KeyBlockState): string | undefined {
    this.#blockEnd = -1;
    const pk = this.#privateKey;
    if (!pk) {
      block.inBlock = false;
      return undefined;
    }
    pk.end.lastIndex = 0;
    const end = pk.end.exec(text);
    if (end) {
      block.inBlock = false;
      this.#blockEnd = end.index + end[0].length;
      return undefined;
    }
    if (pk.body.test(text) && block.lines < pk.maxBodyLines) {
      block.lines++;
      return text.trim() === '' ? text : pk.replacement;
    }
    // Not PEM: the block was never closed (a truncated dump); this line is ordinary output.
    block.inBlock = false;
    return undefined;
  }

  #count(kind: string, n: number): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + n;
  }
}

function compileRule(spec: ScrubRuleSpec, bit: number): CompiledRule {
  return {
    kind: spec.kind,
    bit,
    regex: new RegExp(spec.pattern, `${spec.flags}gd`),
    group: spec.group,
    replacement: redactionOf(spec.kind),
    triggers: spec.triggers,
    caseInsensitive: spec.flags.includes('i'),
  };
}

function compileSecrets(secrets: readonly SecretValue[]): CompiledSecret[] {
  const problems: string[] = [];
  if (secrets.length > MAX_SECRETS) problems.push(`at most ${MAX_SECRETS} secret values, got ${secrets.length}`);
  const compiled: CompiledSecret[] = [];
  for (const { name, value } of secrets) {
    const bytes = Buffer.byteLength(value, 'utf8');
    // A line never holds a line break: a multi-line value is searched for line by line.
    const pieces = value.split(/\r\n|\r|\n/).filter((p) => Buffer.byteLength(p, 'utf8') >= SCRUB_RULES.minSecretBytes);
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) problems.push(`secret name ${JSON.stringify(name)} must be 1–128 of [A-Za-z0-9_.-]`);
    else if (bytes > SCRUB_RULES.maxSecretBytes || pieces.length === 0) {
      problems.push(`the value of ${name} must be ${SCRUB_RULES.minSecretBytes}–${SCRUB_RULES.maxSecretBytes} bytes to be redacted, got ${bytes}`);
    } else {
      for (const piece of pieces)
        compiled.push({ kind: `env:${name}`, text: Buffer.from(piece, 'utf8').toString('latin1'), replacement: redactionOf(`env:${name}`) });
    }
  }
  if (problems.length > 0) throw new ScrubConfigError(problems);
  // Longest first: a value that contains another is replaced whole.
  return compiled.sort((a, b) => b.text.length - a.text.length);
}
