#!/usr/bin/env node
// The `joblogs` bin: the esbuild bundle (`npm run build:cli`) when it exists, else the TypeScript
// sources through tsx (a fresh clone after `npm ci`).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/joblogs.mjs', import.meta.url);
// `joblogs admin` (operators) always runs from the sources: the bundle is the shipper only.
if (existsSync(bundle) && process.argv[2] !== 'admin') {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./entry.ts', import.meta.url).href);
}
