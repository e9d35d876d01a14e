#!/usr/bin/env node
// The `joblogs` bin: the esbuild bundle (`npm run build:cli`) when it exists, else the TypeScript
// sources through tsx (a fresh clone after `npm ci`).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/joblogs.mjs', import.meta.url);
if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./entry.ts', import.meta.url).href);
}
