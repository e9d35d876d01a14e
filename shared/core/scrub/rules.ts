import rulesFile from './rules.json' with { type: 'json' };

/** One pattern rule of `rules.json`, as written there. */
export interface ScrubRuleSpec {
  kind: string;
  pattern: string;
  flags: string;
  /** 0: the whole match is the secret; n: only capture group n. */
  group: number;
  /** Literals (case-insensitive) every match contains: lines without one are never searched. */
  triggers: string[];
}

/** The private-key block rule: a header line, PEM body lines, an end line. */
export interface PrivateKeySpec {
  kind: string;
  triggers: string[];
  begin: string;
  end: string;
  body: string;
  maxBodyLines: number;
}

export interface ScrubRulesFile {
  version: number;
  redaction: string;
  minSecretBytes: number;
  maxSecretBytes: number;
  defaultSecretEnv: string[];
  privateKey: PrivateKeySpec;
  rules: ScrubRuleSpec[];
}

/**
 * The rules every shipper applies (`rules.json`, shared with shippers in other languages: the
 * contract vectors in `test/fixtures/scrub/vectors.json` hold for any of them).
 */
export const SCRUB_RULES: ScrubRulesFile = rulesFile;

/** What a secret of `kind` becomes in a chunk: `[REDACTED:<kind>]`. */
export function redactionOf(kind: string): string {
  return SCRUB_RULES.redaction.replace('{kind}', kind);
}
