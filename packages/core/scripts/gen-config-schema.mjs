#!/usr/bin/env node
// Writes dist/config.schema.json (shipped as @midge/mqtt-core/config.schema.json) from the built valibot
// schema, so the JSON Schema can never drift from what the loader accepts. Run after `tsc -b`.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const { createConfigJsonSchema } = await import(new URL('config/json-schema.js', dist).href);
const out = new URL('config.schema.json', dist);
await writeFile(out, `${JSON.stringify(createConfigJsonSchema(), null, 2)}\n`);
console.log(`wrote ${fileURLToPath(out)}`);
