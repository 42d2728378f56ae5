/**
 * Where `midge` keeps the broker's state: ./midge-data by default, `--data-dir DIR`, `--in-memory`, the
 * config's `persistence:`, and `--check` on the data directory and the store. `--check` runs in-process
 * (it only reads files); running the broker is about a process and runs the built binary.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBroker } from '../src/commands/broker.js';
import { BrokerProcess, runInProcess, runMidge, withTempDir } from './cli-process.js';
import { CORE_BUILD, CORE_SOURCE, writeRecordingStore } from './recording-store.js';

const LOCAL = 'listeners:\n  default:\n    bind: 127.0.0.1:0\nplugins: {}\n';

/** `midge broker ...argv` in this process, with what it printed. */
const midgeBroker = (argv: string[]): ReturnType<typeof runInProcess> => runInProcess(runBroker, argv);

describe('midge --check and persistence', () => {
  it('--data-dir replaces the config file persistence.path (from the working directory) and keeps its sync and store', async () => {
    await withTempDir(async (dir) => {
      await writeRecordingStore(dir, CORE_SOURCE);
      const file = join(dir, 'broker.yaml');
      await writeFile(file, `${LOCAL}persistence:\n  path: data\n  sync: always\n  store: ./store.js\n`);
      const r = await midgeBroker(['-c', file, '--check', '--data-dir', join(dir, 'state')]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`  persistence: ./store.js in ${join(dir, 'state')} (sync: always)`);
      // --check creates nothing.
      expect(existsSync(join(dir, 'state'))).toBe(false);
    });
  });

  it('the config persistence.path starts at the config file folder', async () => {
    await withTempDir(async (dir) => {
      await writeRecordingStore(dir, CORE_SOURCE);
      const file = join(dir, 'broker.yaml');
      await writeFile(file, `${LOCAL}persistence:\n  path: data\n  store: ./store.js\n`);
      const r = await midgeBroker(['-c', file, '--check']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`  persistence: ./store.js in ${join(dir, 'data')} (sync: batch)`);
    });
  });

  it('fails on a data directory under a regular file, naming the path, with the other problems', async () => {
    await withTempDir(async (dir) => {
      await writeRecordingStore(dir, CORE_SOURCE);
      await writeFile(join(dir, 'occupied'), 'a file, not a folder');
      const file = join(dir, 'broker.yaml');
      await writeFile(file, `${LOCAL}persistence:\n  path: data\n  store: ./store.js\n`);
      const r = await midgeBroker(['-c', file, '--check', '--data-dir', join(dir, 'occupied', 'data')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `${file}: persistence.path: cannot create ${join(dir, 'occupied', 'data')}: ${join(dir, 'occupied')} is a file, not a folder\nmidge: 1 problem found\n`,
      );
    });
  });

  it('names a store module that does not exist', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'broker.yaml');
      await writeFile(file, `${LOCAL}persistence:\n  path: data\n  store: ./nope.js\n`);
      const r = await midgeBroker(['-c', file, '--check']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${file}:7:3: persistence.store: no store module at ${join(dir, 'nope.js')}`);
    });
  });

  it('--in-memory turns the config store off', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'broker.yaml');
      await writeFile(file, `${LOCAL}persistence:\n  path: data\n  store: ./nope.js\n`);
      const r = await midgeBroker(['-c', file, '--check', '--in-memory']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('  persistence: none (state in memory only)');
    });
  });

  it('a config without persistence: keeps state in memory, unless --data-dir turns the default store on', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'broker.yaml');
      await writeFile(file, LOCAL);
      const plain = await midgeBroker(['-c', file, '--check']);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toContain('  persistence: none (state in memory only)');
      // The default store comes with the CLI (@midge/persistence-lmdb is one of its dependencies).
      const on = await midgeBroker(['-c', file, '--check', '--data-dir', join(dir, 'state')]);
      expect(on.stderr).toBe('');
      expect(on.stdout).toContain(`  persistence: @midge/persistence-lmdb in ${join(dir, 'state')} (sync: batch)`);
      expect(on.code).toBe(0);
    });
  });

  it.each([
    [['--data-dir', 'x', '--in-memory'], 'give either --data-dir or --in-memory, not both'],
    [['--data-dir', ''], '--data-dir must not be empty'],
  ])('%j is a command-line mistake', async (argv, message) => {
    const r = await midgeBroker(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`midge broker: ${message}; see 'midge broker --help'\n`);
  });
});

describe('midge runs with a store', () => {
  it('uses the config store in the --data-dir directory and says so at start', async () => {
    await withTempDir(async (dir) => {
      await writeRecordingStore(dir, CORE_BUILD);
      await writeFile(join(dir, 'broker.yaml'), `${LOCAL}persistence:\n  path: data\n  store: ./store.js\n`);
      const broker = new BrokerProcess(['-c', 'broker.yaml', '--data-dir', 'state'], dir);
      const state = join(dir, 'state');
      expect(await broker.waitFor((r) => r.msg === 'recording store created')).toMatchObject({
        recorded: { path: state, sync: 'batch', readOnly: false },
      });
      expect(await broker.waitFor((r) => r.msg?.startsWith('persistence:') === true)).toMatchObject({
        level: 30,
        store: './store.js',
        path: state,
        sync: 'batch',
        msg: `persistence: ./store.js, data in ${state} (sync: batch)`,
      });
      await broker.port();
      expect(existsSync(state)).toBe(true);
      expect((await broker.stop('SIGTERM')).code).toBe(0);
    });
  });

  it('--in-memory writes nothing to disk and says so', async () => {
    await withTempDir(async (dir) => {
      const broker = new BrokerProcess(['-p', '0', '--host', '127.0.0.1', '--in-memory'], dir);
      expect(await broker.waitFor((r) => r.msg?.startsWith('persistence:') === true)).toMatchObject({
        msg: 'persistence: none, state is kept in memory and lost at exit',
      });
      await broker.port();
      expect((await broker.stop('SIGTERM')).code).toBe(0);
      expect(existsSync(join(dir, 'midge-data'))).toBe(false);
    });
  });

  it('without -c keeps its state in ./midge-data with @midge/persistence-lmdb', async () => {
    await withTempDir(async (dir) => {
      const check = await runMidge(['--check'], { cwd: dir });
      expect(check.stderr).toBe('');
      expect(check.stdout).toContain(
        `  persistence: @midge/persistence-lmdb in ${join(dir, 'midge-data')} (sync: batch)`,
      );
      expect(check.code).toBe(0);

      const broker = new BrokerProcess(['-p', '0', '--host', '127.0.0.1'], dir);
      expect(await broker.waitFor((r) => r.msg?.startsWith('persistence:') === true)).toMatchObject({
        store: '@midge/persistence-lmdb',
        path: join(dir, 'midge-data'),
        sync: 'batch',
      });
      await broker.port();
      expect((await broker.stop('SIGTERM')).code).toBe(0);
      expect(existsSync(join(dir, 'midge-data'))).toBe(true);

      // The store now exists: --check opens it read-only.
      const again = await runMidge(['--check'], { cwd: dir });
      expect(again.stderr).toBe('');
      expect(again.code).toBe(0);
    });
  });

  it('--check fails, naming the path, when ./midge-data cannot be created', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'sub'));
      await writeFile(join(dir, 'sub', 'midge-data'), 'a file where the data directory should be');
      const r = await runMidge(['--check'], { cwd: join(dir, 'sub') });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `<default config>: persistence.path: ${join(dir, 'sub', 'midge-data')} is not a folder: point the data directory at a folder`,
      );
    });
  });
});
