/**
 * The schema library for everything bundled into a function: `zod/mini`, with English messages.
 * Classic `zod` is one object esbuild cannot tree-shake (~450 KB, locales included, in every
 * bundle that imports it); mini is the same validator as separate functions (~25 KB here) and
 * has no messages until a locale is configured.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

// Import as a namespace (`import * as z from './zod.js'`): property accesses on a namespace
// import are what esbuild can tree-shake; a namespace passed around as a value is not.
export * from 'zod/mini';
