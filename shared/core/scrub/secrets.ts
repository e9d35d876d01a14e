import { SCRUB_RULES } from './rules.js';
import type { SecretValue } from './scrubber.js';

export interface SecretsFromEnvironment {
  secrets: SecretValue[];
  /** Named variables whose value is too short (or too long) to redact safely: left alone, worth a warning. */
  skipped: Array<{ name: string; bytes: number }>;
}

/**
 * The values of the named variables (plus the well-known ones of `rules.json`, `defaultSecretEnv`,
 * unless `defaults` is false) found in `env`. A value shorter than `minSecretBytes` would redact
 * ordinary words (`true`, `1`) everywhere, one longer than `maxSecretBytes` is not a token: both
 * are skipped and listed.
 *
 * @example
 * const { secrets, skipped } = secretsFromEnvironment(['MY_TOKEN'], process.env);
 */
export function secretsFromEnvironment(
  names: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  o: { defaults?: boolean } = {},
): SecretsFromEnvironment {
  const wanted = new Set([...(o.defaults === false ? [] : SCRUB_RULES.defaultSecretEnv), ...names]);
  const secrets: SecretValue[] = [];
  const skipped: SecretsFromEnvironment['skipped'] = [];
  for (const name of wanted) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const bytes = Buffer.byteLength(value, 'utf8');
    const longest = Math.max(...value.split(/\r\n|\r|\n/).map((p) => Buffer.byteLength(p, 'utf8')));
    if (longest < SCRUB_RULES.minSecretBytes || bytes > SCRUB_RULES.maxSecretBytes) skipped.push({ name, bytes });
    else secrets.push({ name, value });
  }
  return { secrets, skipped };
}
