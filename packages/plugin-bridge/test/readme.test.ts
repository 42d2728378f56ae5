/** The README's configuration example is valid: the broker's YAML parser, then the plugin's schema. */
import { readFileSync } from 'node:fs';
import { parseConfigYaml } from '@midge/mqtt-core';
import { validatePluginConfig } from '@midge/mqtt-core/testing';
import { expect, it } from 'vitest';
import plugin from '../src/index.js';

it('the README configuration example validates', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(yaml).toBeDefined();
  const config = parseConfigYaml(yaml ?? '') as { plugins: Record<string, unknown> };
  const result = await validatePluginConfig(plugin, config.plugins['@midge/plugin-bridge']);
  expect(result.issues).toBeUndefined();
});
