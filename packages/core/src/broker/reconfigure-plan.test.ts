import { describe, expect, it } from 'vitest';
import type { BrokerConfig, ListenerConfig } from '../config/types.js';
import { planReconfiguration } from './reconfigure-plan.js';

const listener = (name: string, extra: Partial<ListenerConfig> = {}): ListenerConfig => ({
  name,
  type: 'tcp',
  bind: '127.0.0.1:1883',
  host: '127.0.0.1',
  port: 1883,
  max_connections: 0,
  ssl: false,
  require_certificate: false,
  use_identity_as_username: false,
  ...extra,
});

const base = {
  listeners: { default: listener('default') },
  plugins: [{ key: '@midge/plugin-topic-acl', specifier: '@midge/plugin-topic-acl', config: { acl: { a: ['x'] } } }],
  log_level: 'info',
  max_queued_messages: 1000,
  config_dir: '/etc/midge',
} as unknown as BrokerConfig;

const withChanges = (changes: Partial<Record<keyof BrokerConfig, unknown>>): BrokerConfig =>
  ({ ...base, ...changes }) as unknown as BrokerConfig;

describe('config reload plan', () => {
  it('finds nothing to do in the same config', () => {
    expect(planReconfiguration(base, withChanges({}))).toEqual({
      removed: [],
      added: [],
      replaced: [],
      tls: [],
      plugins: false,
      logLevel: undefined,
      needsRestart: [],
    });
  });

  it('adds, removes and replaces listeners; reloads TLS of kept tls listeners', () => {
    const secure = listener('secure', { port: 8883, bind: '127.0.0.1:8883', ssl: true, certfile: '/c', keyfile: '/k' });
    const old = withChanges({
      listeners: { default: listener('default'), gone: listener('gone', { port: 1 }), secure },
    });
    const next = withChanges({
      listeners: {
        default: listener('default', { port: 1884, bind: '127.0.0.1:1884' }),
        secure: { ...secure, certfile: '/new-cert' },
        web: listener('web', { type: 'ws', port: 9001 }),
      },
    });
    const plan = planReconfiguration(old, next);
    expect(plan.removed).toEqual(['gone']);
    expect(plan.replaced).toEqual(['default']);
    expect(plan.added.map((l) => l.name)).toEqual(['default', 'web']);
    expect(plan.tls.map((l) => l.certfile)).toEqual(['/new-cert']);
    expect(plan.needsRestart).toEqual([]);
  });

  it('binds a tls listener again when require_certificate changes (Node applies it to new servers only)', () => {
    const secure = listener('secure', { ssl: true, certfile: '/c', keyfile: '/k', cafile: '/ca' });
    const plan = planReconfiguration(
      withChanges({ listeners: { secure } }),
      withChanges({ listeners: { secure: { ...secure, require_certificate: true } } }),
    );
    expect(plan.replaced).toEqual(['secure']);
    expect(plan.tls).toEqual([]);
    expect(plan.needsRestart).toEqual([]);
  });

  it('sets plugins up again when their options change, and reports the log level change', () => {
    const next = withChanges({
      plugins: [
        { key: '@midge/plugin-topic-acl', specifier: '@midge/plugin-topic-acl', config: { acl: { a: ['y'] } } },
      ],
      log: { level: 'debug' },
    });
    const plan = planReconfiguration(base, next);
    expect(plan.plugins).toBe(true);
    expect(plan.logLevel).toEqual({ from: 'info', to: 'debug' });
  });

  it('reports what only a restart applies: limits, the store, a listener limit, the log file', () => {
    const next = withChanges({
      max_queued_messages: 5,
      persistence: { path: '/var/lib/midge', sync: 'batch', store: '@midge/persistence-lmdb' },
      listeners: { default: listener('default', { max_connections: 10 }) },
      log: { file: '/var/log/midge.log' },
    });
    expect(planReconfiguration(base, next).needsRestart).toEqual([
      'listeners.default.max_connections',
      'log.file',
      'max_queued_messages',
      'persistence',
    ]);
  });
});
