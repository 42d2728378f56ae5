/**
 * `midge store inspect|compact` in this process, on real stores in temp directories (seeded through
 * @midge/persistence-lmdb): what inspect prints as text and JSON, one session with --client, --retained, the
 * store selected by -c, and the errors. Process-level behaviour (a store held by another process, the
 * default ./midge-data, compaction by the built binary) is in store-process.test.ts.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStore } from '../src/commands/store.js';
import { runInProcess, withTempDir } from './cli-process.js';
import { CORE_SOURCE, writeRecordingStore } from './recording-store.js';
import { DISCONNECTED_AT, seedStore } from './store-seed.js';

/** `midge store ...argv` in this process, with what it printed. */
const midgeStore = (argv: string[]): ReturnType<typeof runInProcess> => runInProcess(runStore, argv);

const DISCONNECTED = new Date(DISCONNECTED_AT).toISOString();

describe('midge store inspect', () => {
  it('prints the totals and a table each of sessions, wills and retained messages', async () => {
    await withTempDir(async (dir) => {
      const data = join(dir, 'data');
      await seedStore(data);
      const r = await midgeStore(['inspect', '--data-dir', data]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines.slice(0, 9)).toEqual([
        `store: @midge/persistence-lmdb in ${data}`,
        '',
        'sessions         2 (1 connected)',
        'queued messages  25',
        'inflight         1',
        'inbound QoS 2    1',
        'wills            1 (1 delayed)',
        'retained         2 (13 B)',
        '',
      ]);
      expect(lines[9]).toBe('SESSIONS');
      expect(lines[10]).toMatch(/^CLIENT ID +OWNER +MQTT +EXPIRY +SUBS +QUEUED +INFLIGHT +STATE$/);
      expect(lines[11]).toMatch(
        /^alice-laptop +alice +5 +1d +2 +25 +1 +disconnected since 2026-01-02 03:04:05Z \(.+ ago\)$/,
      );
      expect(lines[12]).toMatch(/^sensor-1 +anonymous +3\.1\.1 +default +1 +0 +0 +connected$/);
      expect(r.stdout).toMatch(/\nWILLS\n.*\nalice-laptop +status\/alice +1 +4 B +1m +2026-01-02 03:05:05Z/);
      expect(r.stdout).toMatch(
        /\nRETAINED\nTOPIC +QOS +SIZE +EXPIRES\nconfig\/a +1 +10 B +never\nstatus\/alice +0 +3 B +never\n$/,
      );
    });
  });

  it('--json gives the same for programs', async () => {
    await withTempDir(async (dir) => {
      await seedStore(dir);
      const r = await midgeStore(['inspect', '--data-dir', dir, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        store: '@midge/persistence-lmdb',
        path: dir,
        totals: {
          sessions: 2,
          connected: 1,
          queued: 25,
          inflight: 1,
          inboundQos2: 1,
          wills: 1,
          delayedWills: 1,
          retained: 2,
          retainedBytes: 13,
        },
        sessions: [
          {
            clientId: 'alice-laptop',
            username: 'alice',
            protocolVersion: 5,
            disconnectedAt: DISCONNECTED,
            expiryInterval: 86_400,
            subscriptions: 2,
            queued: 25,
            inflight: 1,
            inboundQos2: 1,
          },
          {
            clientId: 'sensor-1',
            username: null,
            protocolVersion: 4,
            disconnectedAt: null,
            expiryInterval: null,
            subscriptions: 1,
            queued: 0,
            inflight: 0,
            inboundQos2: 0,
          },
        ],
        wills: [
          {
            clientId: 'alice-laptop',
            topic: 'status/alice',
            qos: 1,
            retain: true,
            payloadBytes: 4,
            expiresAt: null,
            delay: 60,
            publishAt: new Date(DISCONNECTED_AT + 60_000).toISOString(),
            username: 'alice',
          },
        ],
        retained: [
          { topic: 'config/a', qos: 1, retain: true, payloadBytes: 10, expiresAt: null },
          { topic: 'status/alice', qos: 0, retain: true, payloadBytes: 3, expiresAt: null },
        ],
      });
    });
  });

  it('--client shows one session: subscriptions with options, inflight, the 20 oldest queued, its will', async () => {
    await withTempDir(async (dir) => {
      await seedStore(dir);
      const text = await midgeStore(['inspect', '--data-dir', dir, '--client', 'alice-laptop']);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`session alice-laptop in @midge/persistence-lmdb in ${dir}\n`);
      expect(text.stdout).toMatch(/\nowner +alice\n/);
      expect(text.stdout).toMatch(/\nexpiry interval +1d \(expired 2026-01-03 03:04:05Z/);
      expect(text.stdout).toMatch(/\ninbound QoS 2 +packet ids 7\n/);
      expect(text.stdout).toMatch(/\nalerts +2 +no +yes +-\nhome\/# +1 +yes +no +3\n/);
      expect(text.stdout).toMatch(/\nINFLIGHT\n.*\n +12 +publish +home\/0 +1 +50 B +never\n/);
      expect(text.stdout).toContain('\nQUEUED (first 20 of 25, oldest first)\n');
      expect(text.stdout).toMatch(/\n +1 +home\/1 +1 +100 B +never\n/);
      expect(text.stdout).toMatch(/\n +20 +home\/20 +1 +100 B +never\n\nWILL\n/);
      expect(text.stdout).not.toContain('home/21');

      const json = await midgeStore(['inspect', '--data-dir', dir, '--client', 'alice-laptop', '--json']);
      const session = (JSON.parse(json.stdout) as { session: Record<string, unknown> }).session;
      expect(session.queued).toBe(25);
      expect((session.queue as { seq: number }[]).map((e) => e.seq)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      expect(session.subscriptions).toEqual([
        { topic: 'alerts', qos: 2, noLocal: false, retainAsPublished: true, subscriptionId: null },
        { topic: 'home/#', qos: 1, noLocal: true, retainAsPublished: false, subscriptionId: 3 },
      ]);
      expect(session.inflight).toEqual([
        { packetId: 12, state: 'publish', topic: 'home/0', qos: 1, retain: false, payloadBytes: 50, expiresAt: null },
      ]);
      expect(session.inboundQos2).toEqual([7]);
      expect((session.will as { topic: string }).topic).toBe('status/alice');
    });
  });

  it('--client with a client id the store does not have fails, naming it', async () => {
    await withTempDir(async (dir) => {
      await seedStore(dir);
      const r = await midgeStore(['inspect', '--data-dir', dir, '--client', 'bob']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`midge store: no session of client id 'bob' in ${dir}\n`);
    });
  });

  it('--retained lists only the retained messages matching the filter; the totals stay whole', async () => {
    await withTempDir(async (dir) => {
      await seedStore(dir);
      const r = await midgeStore(['inspect', '--data-dir', dir, '--retained', 'status/+']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\nretained +2 \(13 B\)\n/);
      expect(r.stdout).toMatch(
        /\nRETAINED matching status\/\+: 1\nTOPIC +QOS +SIZE +EXPIRES\nstatus\/alice +0 +3 B +never\n$/,
      );
      const json = await midgeStore(['inspect', '--data-dir', dir, '--retained', 'config/#', '--json']);
      const { retained } = JSON.parse(json.stdout) as { retained: { topic: string }[] };
      expect(retained.map((m) => m.topic)).toEqual(['config/a']);
    });
  });

  it('-c reads the store from the config persistence: (path from the config folder); --data-dir replaces the path', async () => {
    await withTempDir(async (dir) => {
      await seedStore(join(dir, 'state'));
      const file = join(dir, 'broker.yaml');
      await writeFile(file, 'listeners: {}\nplugins: {}\npersistence:\n  path: state\n');
      const r = await midgeStore(['inspect', '-c', file, '--json']);
      expect(r.stderr).toBe('');
      expect((JSON.parse(r.stdout) as { path: string; totals: { sessions: number } }).totals.sessions).toBe(2);

      await seedStore(join(dir, 'other'), 1);
      const other = await midgeStore(['inspect', '-c', file, '--data-dir', join(dir, 'other'), '--json']);
      expect((JSON.parse(other.stdout) as { path: string; totals: { sessions: number } }).totals.sessions).toBe(3);
    });
  });

  it('-c with any store package: it goes through the Persistence interface, opened read-only', async () => {
    await withTempDir(async (dir) => {
      await writeRecordingStore(dir, CORE_SOURCE);
      const file = join(dir, 'broker.yaml');
      await writeFile(file, 'listeners: {}\nplugins: {}\npersistence:\n  path: data\n  store: ./store.js\n');
      const r = await midgeStore(['inspect', '-c', file]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`store: ./store.js in ${join(dir, 'data')}\n\nsessions         0 (0 connected)\n`);
    });
  });

  it('a config without persistence: names no store', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'broker.yaml');
      await writeFile(file, 'listeners: {}\nplugins: {}\n');
      const r = await midgeStore(['inspect', '-c', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `midge store: ${file} has no persistence: section (its broker keeps its state in memory), so it names no store; give the data directory with --data-dir\n`,
      );
    });
  });

  it('no store, an empty directory and a foreign one are errors naming the path; nothing is created', async () => {
    await withTempDir(async (dir) => {
      const missing = join(dir, 'missing');
      const r = await midgeStore(['inspect', '--data-dir', missing]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`midge store: no store in ${missing}: the directory does not exist\n`);
      expect(existsSync(missing)).toBe(false);

      const empty = join(dir, 'empty');
      await mkdir(empty);
      expect((await midgeStore(['inspect', '--data-dir', empty])).stderr).toBe(
        `midge store: no store in ${empty} yet (the directory is empty)\n`,
      );

      const foreign = join(dir, 'foreign');
      await mkdir(foreign);
      await writeFile(join(foreign, 'notes.txt'), 'mine');
      expect((await midgeStore(['inspect', '--data-dir', foreign])).stderr).toBe(
        `midge store: ${foreign} is not a Midge store (it holds notes.txt); give the broker an empty or new directory\n`,
      );
    });
  });

  it('command-line mistakes exit 2 with a hint', async () => {
    expect(await midgeStore([])).toEqual({
      code: 2,
      stdout: '',
      stderr: "midge store: needs a subcommand: inspect or compact; see 'midge store --help'\n",
    });
    expect((await midgeStore(['inpsect'])).stderr).toBe(
      "midge store: unknown subcommand 'inpsect' (did you mean 'inspect'?); subcommands: inspect, compact; see 'midge store --help'\n",
    );
    const both = await midgeStore(['inspect', '--client', 'a', '--retained', '#']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--client shows one session, --retained the retained messages: give one of them');
    const filter = await midgeStore(['inspect', '--retained', 'a/#/b']);
    expect(filter.code).toBe(2);
    expect(filter.stderr).toMatch(/^midge store: --retained a\/#\/b: /);
    const flag = await midgeStore(['compact', '--json']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option --json; see 'midge store --help'");
    expect((await midgeStore(['--help'])).stdout).toContain('midge store inspect [--data-dir DIR | -c FILE]');
    expect((await midgeStore(['compact', '--help'])).stdout).toContain('the 20 oldest queued messages');
  });
});

describe('midge store compact', () => {
  it('refuses where there is no store, and creates none', async () => {
    await withTempDir(async (dir) => {
      const missing = join(dir, 'missing');
      const r = await midgeStore(['compact', '--data-dir', missing]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`midge store: no store in ${missing}: the directory does not exist\n`);
      expect(existsSync(missing)).toBe(false);
    });
  });

  it('refuses a store package without compaction', async () => {
    await withTempDir(async (dir) => {
      await writeRecordingStore(dir, CORE_SOURCE);
      const file = join(dir, 'broker.yaml');
      await writeFile(file, 'listeners: {}\nplugins: {}\npersistence:\n  path: data\n  store: ./store.js\n');
      const r = await midgeStore(['compact', '-c', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'midge store: the store ./store.js cannot be compacted (it has no compact() method; @midge/persistence-lmdb has one)\n',
      );
    });
  });
});
