#!/usr/bin/env node
// `prepack` of every published package: packing or publishing with plain npm would ship the `workspace:`
// ranges of package.json as they are (npm does not rewrite them; pnpm does, in the tarball), and the
// package would not install. Stops npm with what to run instead; lets pnpm (and changeset publish, which
// uses it) through.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  const manifest = readFileSync(join(process.cwd(), 'package.json'), 'utf8');
  if (manifest.includes('"workspace:')) {
    process.stderr.write(
      `${JSON.parse(manifest).name}: its package.json has workspace: ranges, which only pnpm rewrites when packing. ` +
        'Pack or publish with pnpm (pnpm pack, pnpm publish, or pnpm changeset publish), not npm.\n',
    );
    process.exit(1);
  }
}
