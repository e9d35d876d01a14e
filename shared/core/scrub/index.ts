export { ScrubConfigError } from './errors.js';
export { redactionOf, SCRUB_RULES, type PrivateKeySpec, type ScrubRuleSpec, type ScrubRulesFile } from './rules.js';
export { ALL_RULES, Scrubber, type KeyBlockState, type RedactionCounts, type ScrubberOptions, type SecretValue } from './scrubber.js';
export { secretsFromEnvironment, type SecretsFromEnvironment } from './secrets.js';
export { CARRY_BYTES, StreamScrubber, type ScrubbedLine } from './stream-scrubber.js';
