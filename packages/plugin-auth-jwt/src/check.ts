/**
 * What `midge --check` reports: the key file or secret unreadable or malformed (errors, as they stop a
 * start), and JWKS keys no listed algorithm can use (warnings: tokens signed with them are refused).
 * A `jwks_url` is not fetched: a check opens no connection.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { nullLogger } from '@midge/mqtt-core';
import type { PluginCheckProblem } from '@midge/mqtt-core';
import type { JwtAuthConfig } from './config.js';
import { createKeySource, parseJwks } from './keys.js';

export async function checkKeys(config: JwtAuthConfig, configDir: string): Promise<PluginCheckProblem[]> {
  if (config.jwks_url !== undefined) return [];
  const option = config.jwks_file !== undefined ? 'jwks_file' : 'secret_file';
  try {
    // File sources start no timer, so loading them is as harmless as reading them.
    (await createKeySource(config, configDir, nullLogger)).close();
  } catch (err) {
    return [{ option, message: err instanceof Error ? err.message : String(err) }];
  }
  if (config.jwks_file === undefined) return [];
  const path = resolve(configDir, config.jwks_file);
  const { keys } = parseJwks(await readFile(path, 'utf8'), path);
  const allowed: readonly string[] = config.algorithms;
  const problems: PluginCheckProblem[] = [];
  keys.forEach((key, i) => {
    if (typeof key.alg === 'string' && !allowed.includes(key.alg)) {
      const name = typeof key.kid === 'string' ? `key ${JSON.stringify(key.kid)}` : `key ${i}`;
      problems.push({
        option: 'jwks_file',
        message: `${path}: ${name} is for ${key.alg}, which algorithms does not list: tokens it signs are refused`,
        severity: 'warning',
      });
    }
  });
  return problems;
}
