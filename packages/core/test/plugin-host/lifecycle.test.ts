import { describe, expect, it } from 'vitest';
import { PluginError } from '../../src/errors.js';
import { definePlugin } from '../../src/plugin-api/define.js';
import type { MidgePlugin, PluginContext, PluginHooks } from '../../src/plugin-api/types.js';
import { client, fakeBroker, startHost } from './helpers.js';

/** A plugin that records setup/close into `log`, with optional extra hooks. */
function recording(name: string, log: string[], extra: Partial<PluginHooks> = {}): MidgePlugin {
  return definePlugin({
    name,
    apiVersion: 1,
    setup: (ctx) => {
      log.push(`setup ${name}`);
      ctx.signal.addEventListener('abort', () => log.push(`abort ${name}`));
      return { close: () => void log.push(`close ${name}`), ...extra };
    },
  });
}

async function rejectionOf(p: Promise<unknown>): Promise<PluginError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PluginError);
    return err as PluginError;
  }
  throw new Error('expected a rejection');
}

describe('setup and close', () => {
  it('sets up in config order, gives each plugin its context, and lists the plugins', async () => {
    const log: string[] = [];
    let seen: PluginContext | undefined;
    const spy = definePlugin({
      name: 'spy',
      apiVersion: 1,
      setup: (ctx) => {
        seen = ctx;
        log.push('setup spy');
        ctx.logger.info('hello');
        return {};
      },
    });
    const { host, logger } = await startHost([recording('a', log), ['./plugins/spy.js', spy], recording('c', log)]);
    expect(log).toEqual(['setup a', 'setup spy', 'setup c']);
    expect(host.plugins).toEqual([
      { name: 'a', key: 'a', version: null },
      { name: 'spy', key: './plugins/spy.js', version: null },
      { name: 'c', key: 'c', version: null },
    ]);
    expect(seen?.name).toBe('spy');
    expect(seen?.key).toBe('./plugins/spy.js');
    expect(seen?.configDir).toBe('/cfg');
    expect(seen?.broker).toBe(fakeBroker);
    expect(seen?.signal.aborted).toBe(false);
    expect(logger.records.find((r) => r.msg === 'hello')?.bindings).toEqual({ plugin: 'spy' });
    await host.close();
    expect(seen?.signal.aborted).toBe(true);
  });

  it('aborts signals, then closes in reverse setup order, once', async () => {
    const log: string[] = [];
    const { host } = await startHost([recording('a', log), recording('b', log), recording('c', log)]);
    log.length = 0;
    const first = host.close();
    expect(host.close()).toBe(first);
    await first;
    await host.close();
    expect(log).toEqual(['abort c', 'abort b', 'abort a', 'close c', 'close b', 'close a']);
  });

  it('a failing or hanging close is logged and the others still close', async () => {
    const log: string[] = [];
    const { host, logger } = await startHost(
      [
        recording('a', log),
        recording('b', log, {
          close: () => {
            throw new Error('boom');
          },
        }),
        recording('c', log, { close: () => new Promise<void>(() => {}) }),
      ],
      { hookTimeoutMs: 30 },
    );
    await host.close();
    expect(log.filter((l) => l.startsWith('close'))).toEqual(['close a']);
    expect(logger.records.find((r) => r.level === 'error')?.bindings.plugin).toBe('b');
    expect(logger.records.find((r) => r.level === 'warn')?.bindings.plugin).toBe('c');
  });

  it('a setup that throws fails with PLUGIN_SETUP_FAILED naming the plugin, after closing the earlier ones in reverse', async () => {
    const log: string[] = [];
    const bad = definePlugin({
      name: 'bad',
      apiVersion: 1,
      setup: () => {
        throw new Error('cannot open file');
      },
    });
    const err = await rejectionOf(startHost([recording('a', log), recording('b', log), bad, recording('d', log)]));
    expect(err.code).toBe('PLUGIN_SETUP_FAILED');
    expect(err.plugin).toBe('bad');
    expect(err.message).toContain('cannot open file');
    expect((err.cause as Error).message).toBe('cannot open file');
    expect(log).toEqual(['setup a', 'setup b', 'abort b', 'abort a', 'close b', 'close a']);
  });

  it('an async setup that rejects fails the same way', async () => {
    const bad = definePlugin({ name: 'bad', apiVersion: 1, setup: () => Promise.reject(new Error('nope')) });
    const err = await rejectionOf(startHost([bad]));
    expect(err.code).toBe('PLUGIN_SETUP_FAILED');
  });

  it('a setup returning something other than hooks fails', async () => {
    const bad = definePlugin({
      name: 'bad',
      apiVersion: 1,
      setup: () => ({ authenticate: 'yes' }) as unknown as PluginHooks,
    });
    const err = await rejectionOf(startHost([bad]));
    expect(err.code).toBe('PLUGIN_SETUP_FAILED');
    expect(err.message).toContain('authenticate');
  });

  it('a setup returning nothing registers no hooks', async () => {
    const quiet = definePlugin({ name: 'quiet', apiVersion: 1, setup: () => undefined as unknown as PluginHooks });
    const { host } = await startHost([quiet]);
    expect(host.plugins).toEqual([{ name: 'quiet', key: 'quiet', version: null }]);
  });

  it('a setup past the timeout fails with PLUGIN_SETUP_TIMEOUT, closes the earlier plugins, and closes the late one when it finishes', async () => {
    const log: string[] = [];
    let finish: () => void = () => {};
    let signal: AbortSignal | undefined;
    const slow = definePlugin({
      name: 'slow',
      apiVersion: 1,
      setup: (ctx) => {
        signal = ctx.signal;
        return new Promise<PluginHooks>((resolve) => {
          finish = () => resolve({ close: () => void log.push('close slow (late)') });
        });
      },
    });
    const err = await rejectionOf(startHost([recording('a', log), slow], { setupTimeoutMs: 30 }));
    expect(err.code).toBe('PLUGIN_SETUP_TIMEOUT');
    expect(err.plugin).toBe('slow');
    expect(err.message).toContain('30 ms');
    expect(signal?.aborted).toBe(true);
    expect(log).toEqual(['setup a', 'abort a', 'close a']);
    finish();
    await new Promise((r) => setImmediate(r));
    expect(log).toContain('close slow (late)');
  });
});

describe('events', () => {
  it('calls every handler; sync throws and async rejections are logged under the plugin name with the event', async () => {
    const got: string[] = [];
    const thrower = definePlugin({
      name: 'thrower',
      apiVersion: 1,
      setup: () => ({
        events: {
          'client:connected': () => {
            throw new Error('sync boom');
          },
        },
      }),
    });
    const rejecter = definePlugin({
      name: 'rejecter',
      apiVersion: 1,
      setup: () => ({ events: { 'client:connected': () => Promise.reject(new Error('async boom')) } }),
    });
    const good = definePlugin({
      name: 'good',
      apiVersion: 1,
      setup: () => ({
        events: {
          'client:connected': (e) => void got.push(e.client.clientId),
          'retained:cleared': (e) => void got.push(e.topic),
        },
      }),
    });
    const { host, logger } = await startHost([thrower, rejecter, good]);
    expect(host.hasHook('client:connected')).toBe(true);
    expect(host.hasHook('retained:cleared')).toBe(true);
    expect(host.hasHook('packet:sent')).toBe(false);

    expect(() => host.emit('client:connected', { client, clean: true, sessionPresent: false })).not.toThrow();
    host.emit('retained:cleared', { topic: 't', origin: 'client' });
    host.emit('packet:sent', { client, packet: { type: 'pingresp' } as never });
    expect(got).toEqual(['c1', 't']);
    await new Promise((r) => setImmediate(r));
    const errors = logger.records.filter((r) => r.level === 'error');
    expect(errors.map((e) => [e.bindings.plugin, e.obj.event, (e.obj.err as Error).message])).toEqual([
      ['thrower', 'client:connected', 'sync boom'],
      ['rejecter', 'client:connected', 'async boom'],
    ]);
  });

  it('drops events after close', async () => {
    const got: string[] = [];
    const p = definePlugin({
      name: 'p',
      apiVersion: 1,
      setup: () => ({ events: { 'retained:cleared': (e) => void got.push(e.topic) } }),
    });
    const { host } = await startHost([p]);
    await host.close();
    host.emit('retained:cleared', { topic: 't', origin: 'client' });
    expect(got).toEqual([]);
  });
});

describe('reload', () => {
  it('reloads every plugin in order, logs failures and returns them', async () => {
    const log: string[] = [];
    const { host, logger } = await startHost(
      [
        recording('a', log, { reload: () => void log.push('reload a') }),
        recording('b', log, { reload: () => Promise.reject(new Error('bad file')) }),
        recording('c', log, { reload: () => new Promise<void>(() => {}) }),
        recording('d', log, { reload: () => void log.push('reload d') }),
        recording('e', log),
      ],
      { hookTimeoutMs: 30 },
    );
    const { failures } = await host.reload();
    expect(log.filter((l) => l.startsWith('reload'))).toEqual(['reload a', 'reload d']);
    expect(failures.map((f) => f.plugin)).toEqual(['b', 'c']);
    expect((failures[0]?.error as Error).message).toBe('bad file');
    expect((failures[1]?.error as PluginError).code).toBe('PLUGIN_RELOAD_TIMEOUT');
    expect(logger.records.find((r) => r.level === 'error')?.bindings.plugin).toBe('b');
  });
});
