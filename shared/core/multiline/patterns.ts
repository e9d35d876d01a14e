import safeRegex from 'safe-regex2';
import { EventKind, PatternBounds } from './constants.js';
import { MultilinePatternError } from './errors.js';
import type { Grammar } from './grammars.js';

/** Per-job rules, like Filebeat's `multiline.pattern`: what starts an event, what continues one. */
export interface PatternRules {
  start?: string | undefined;
  continue?: string | undefined;
}

/** Vetted rules, ready to run. */
export interface UserRules {
  source: PatternRules;
  /** Tried before the built-in recognisers (a start pattern). */
  first?: Grammar;
  /** Tried after them (a continue pattern alone: any line may be the head of an event). */
  last?: Grammar;
}

/**
 * Checks one pattern and compiles it. A pattern comes from a job (a CLI flag, or chunk metadata
 * any producer writes) and runs in the indexer on every line, so it must be unable to backtrack
 * for ever: at most {@link PatternBounds.maxLength} characters, no nested or unbounded-count
 * repetition beyond what safe-regex2 accepts (star height 1, at most
 * {@link PatternBounds.maxRepetitions} repetitions), no backreferences or lookbehind, and it
 * only ever sees the first {@link PatternBounds.inputChars} characters of a line.
 */
export function compilePattern(name: string, pattern: string): (text: string) => boolean {
  const refuse = (why: string): never => {
    throw new MultilinePatternError(`The multi-line ${name} pattern ${JSON.stringify(pattern.slice(0, 80))} is refused: ${why}`, { details: { name } });
  };
  if (typeof pattern !== 'string' || pattern.length === 0) refuse('it is empty');
  if (pattern.length > PatternBounds.maxLength) refuse(`it is longer than ${PatternBounds.maxLength} characters`);
  // Control characters have no business in a line pattern (and S3 metadata cannot carry them).
  if (/[\u0000-\u001f\u007f]/.test(pattern)) refuse('it holds control characters');
  if (/\\[1-9]|\\k<|\(\?<[=!]/.test(pattern)) refuse('backreferences and lookbehind are not allowed');
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (cause) {
    return refuse(`it is not a valid regular expression (${(cause as Error).message})`);
  }
  if (!safeRegex(re, { limit: PatternBounds.maxRepetitions }))
    refuse('it nests repetitions or repeats too often, which could backtrack for ever (safe-regex2)');
  return (text) => re.test(text.length > PatternBounds.inputChars ? text.slice(0, PatternBounds.inputChars) : text);
}

/**
 * Compiles a job's rules into grammars; throws {@link MultilinePatternError} for the first bad
 * pattern. With a start pattern, an event runs from a line matching it over the lines matching
 * the continue pattern (or, without one, over every line up to the next start). With only a
 * continue pattern, lines matching it join the line before them.
 */
export function compileRules(rules: PatternRules): UserRules | undefined {
  const starts = rules.start ? compilePattern('start', rules.start) : undefined;
  const continues = rules.continue ? compilePattern('continue', rules.continue) : undefined;
  if (!starts && !continues) return undefined;
  const next = continues
    ? (_: string, text: string) => (continues(text) ? 'custom' : undefined)
    : (_: string, text: string) => (starts!(text) ? undefined : 'custom');
  const grammar: Grammar = { kind: EventKind.custom, start: starts ? (text) => (starts(text) ? 'custom' : undefined) : () => 'custom', next };
  return starts ? { source: rules, first: grammar } : { source: rules, last: grammar };
}

/** Chunk metadata naming a job's rules (docs/chunk-contract.md). */
export const PATTERN_METADATA = { start: 'multiline-start', continue: 'multiline-continue' } as const;

/**
 * A producer's rules from its chunk metadata. A pattern that fails the checks is ignored (the
 * chunk is grouped by the built-in recognisers only) and reported, never a failed chunk.
 */
export function rulesFromMetadata(metadata: Record<string, string | undefined>): { rules?: UserRules; refused?: string } {
  const source: PatternRules = {
    start: metadata[PATTERN_METADATA.start]?.trim() || undefined,
    continue: metadata[PATTERN_METADATA.continue]?.trim() || undefined,
  };
  if (!source.start && !source.continue) return {};
  try {
    const rules = compileRules(source);
    return rules ? { rules } : {};
  } catch (error) {
    if (error instanceof MultilinePatternError) return { refused: error.message };
    throw error;
  }
}
