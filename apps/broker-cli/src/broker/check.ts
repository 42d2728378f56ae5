/**
 * `midge --check`: every problem of the config, its plugins and its store (data directory writable, store
 * opened read-only), without starting, creating or writing anything.
 */
import { checkConfig, formatConfigIssues, type ConfigOverrides } from '@midge/mqtt-core';
import type { CommandIO } from '../io.js';
import { EXIT_FAILURE, EXIT_OK, formatWarnings, problemCount, writeLine } from '../report.js';
import type { ConfigSource } from './config-source.js';

export async function runCheck(src: ConfigSource, overrides: ConfigOverrides, io: CommandIO): Promise<number> {
  const result = await checkConfig(src.source, { configDir: src.configDir, searchDirs: src.searchDirs, overrides });
  for (const line of formatWarnings([...result.deprecations, ...result.warnings], src.label))
    writeLine(io.stderr, line);
  if (!result.ok) {
    writeLine(io.stderr, formatConfigIssues(result.issues, src.label));
    writeLine(io.stderr, problemCount(result.issues.length));
    return EXIT_FAILURE;
  }
  const config = result.config;
  const listeners = Object.values(config?.listeners ?? {}).map(
    (l) => `${l.name} (${l.type}${l.ssl ? ' ssl' : ''} ${l.bind})`,
  );
  const plugins = (config?.plugins ?? []).map((p) => p.key);
  writeLine(io.stdout, `${src.label}: OK`);
  writeLine(io.stdout, `  listeners: ${listeners.join(', ') || 'none'}`);
  writeLine(io.stdout, `  plugins: ${plugins.join(', ') || 'none'}`);
  const store = config?.persistence;
  const persistence =
    store === undefined ? 'none (state in memory only)' : `${store.store} in ${store.path} (sync: ${store.sync})`;
  writeLine(io.stdout, `  persistence: ${persistence}`);
  return EXIT_OK;
}
