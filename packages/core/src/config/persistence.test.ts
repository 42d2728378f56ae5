import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../errors.js';
import { createConfigJsonSchema } from './json-schema.js';
import { loadConfig } from './load.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-config-persistence-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, yaml: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, yaml);
  return path;
}

async function issuesOf(promise: Promise<unknown>): Promise<string[]> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
}

describe('persistence:', () => {
  test('absent, empty or false: no store (state in memory)', async () => {
    expect((await loadConfig({})).config.persistence).toBeUndefined();
    expect((await loadConfig({ persistence: false })).config.persistence).toBeUndefined();
    const empty = await file('empty.yaml', 'persistence:\n');
    expect((await loadConfig(empty)).config.persistence).toBeUndefined();
  });

  test('a relative path starts at the config file folder; sync and store have defaults', async () => {
    const path = await file('relative.yaml', 'persistence:\n  path: data/midge\n');
    const { config, deprecations } = await loadConfig(path);
    expect(deprecations).toEqual([]);
    expect(config.persistence).toEqual({
      path: join(dir, 'data', 'midge'),
      sync: 'batch',
      store: '@midge/persistence-lmdb',
    });
  });

  test('a key with nothing after it is not set', async () => {
    const path = await file('unset.yaml', 'persistence:\n  path: data\n  sync:\n  store:\n');
    expect((await loadConfig(path)).config.persistence).toMatchObject({
      sync: 'batch',
      store: '@midge/persistence-lmdb',
    });
  });

  test('an absolute path, every sync mode and a store path are kept as written', async () => {
    for (const sync of ['batch', 'always', 'none'] as const) {
      const { config } = await loadConfig({ persistence: { path: '/var/lib/midge', sync, store: './my-store.js' } });
      expect(config.persistence).toEqual({ path: '/var/lib/midge', sync, store: './my-store.js' });
    }
  });

  test('an in-memory config resolves a relative path from configDir', async () => {
    const { config } = await loadConfig({ persistence: { path: 'state' } }, { configDir: '/srv/broker' });
    expect(config.persistence?.path).toBe('/srv/broker/state');
  });

  test('bad values and unknown keys are reported with their path, all at once', async () => {
    const path = await file(
      'bad.yaml',
      `persistence:
  path: ''
  sync: fast
  store: 12
  syncc: always
`,
    );
    expect(await issuesOf(loadConfig(path))).toEqual([
      'persistence.path: expected a folder path, got ""',
      "persistence.sync: expected 'batch', 'always' or 'none', got \"fast\"",
      'persistence.store: expected a package name or a path to a module file, got 12',
      "persistence.syncc: unknown key 'syncc' (did you mean 'sync'?)",
    ]);
  });

  test('a mapping without path says path is needed', async () => {
    expect(await issuesOf(loadConfig({ persistence: { sync: 'always' } }))).toEqual([
      "persistence.path: required: the store's data directory, e.g. path: /var/lib/midge",
    ]);
  });

  test('neither a mapping nor false: one message naming both forms', async () => {
    for (const [value, shown] of [
      [true, 'true'],
      ['memory', '"memory"'],
      [5, '5'],
    ] as const) {
      expect(await issuesOf(loadConfig({ persistence: value }))).toEqual([
        `persistence: expected a mapping such as { path: /var/lib/midge }, or false (state in memory only), got ${shown}`,
      ]);
    }
    expect(await issuesOf(loadConfig({ persistence: ['x'] }))).toEqual([
      'persistence: expected a mapping of persistence settings (or false), got a list',
    ]);
  });

  test('an unknown top-level spelling gets the suggestion', async () => {
    expect(await issuesOf(loadConfig({ persistance: { path: 'x' } }))).toEqual([
      "persistance: unknown key 'persistance' (did you mean 'persistence'?)",
    ]);
  });

  test('overrides (command-line flags) merge into the file key by key, or replace it', async () => {
    const path = await file('merge.yaml', 'persistence:\n  path: data\n  sync: always\n');
    const merged = await loadConfig(path, { overrides: { persistence: { path: '/elsewhere' } } });
    expect(merged.config.persistence).toEqual({ path: '/elsewhere', sync: 'always', store: '@midge/persistence-lmdb' });
    const off = await loadConfig(path, { overrides: { persistence: false } });
    expect(off.config.persistence).toBeUndefined();
    const on = await loadConfig({}, { overrides: { persistence: { path: '/data' } } });
    expect(on.config.persistence?.path).toBe('/data');
  });

  test('the JSON Schema describes both forms', () => {
    const schema = createConfigJsonSchema() as { properties: Record<string, { anyOf?: unknown[] }> };
    const anyOf = schema.properties.persistence?.anyOf as Record<string, unknown>[];
    expect(anyOf[0]).toMatchObject({ const: false });
    expect(anyOf[1]).toMatchObject({
      type: 'object',
      required: ['path'],
      additionalProperties: false,
      properties: { sync: { enum: ['batch', 'always', 'none'], default: 'batch' } },
    });
  });
});
