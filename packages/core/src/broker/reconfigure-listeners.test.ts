import { describe, expect, it } from 'vitest';
import type { ListenerConfig } from '../config/types.js';
import type { Listener } from './listeners.js';
import { applyListenerChanges, type ListenerControl } from './reconfigure-listeners.js';
import { planReconfiguration } from './reconfigure-plan.js';
import type { BrokerConfig } from '../config/types.js';

const listener = (name: string, port: number, extra: Partial<ListenerConfig> = {}): ListenerConfig => ({
  name,
  type: 'tcp',
  bind: `127.0.0.1:${port}`,
  host: '127.0.0.1',
  port,
  max_connections: 0,
  ssl: false,
  require_certificate: false,
  use_identity_as_username: false,
  ...extra,
});

const configOf = (...listeners: ListenerConfig[]): BrokerConfig =>
  ({
    listeners: Object.fromEntries(listeners.map((l) => [l.name, l])),
    plugins: [],
    log_level: 'info',
  }) as unknown as BrokerConfig;

/**
 * Listeners that only record what happens; ports in `busy` and listeners `refuse` returns true for cannot be
 * bound; `tlsChanged` answers reloadTls.
 */
function fakeControl(
  options: { busy?: number[]; refuse?: (config: ListenerConfig) => boolean; tlsChanged?: boolean } = {},
) {
  const events: string[] = [];
  const control: ListenerControl = {
    open: [],
    start: (config) => {
      if (options.busy?.includes(config.port)) return Promise.reject(new Error(`port ${config.port} in use`));
      if (options.refuse?.(config) === true) return Promise.reject(new Error('boom'));
      events.push(`bind ${config.name}:${config.port}`);
      const fake: Listener = {
        name: config.name,
        address: () => ({ host: config.host, port: config.port }),
        close: () => {
          events.push(`close ${config.name}:${config.port}`);
          return Promise.resolve();
        },
        connections: 0,
        reloadTls: () => Promise.resolve(options.tlsChanged ?? false),
      } as unknown as Listener;
      return Promise.resolve(fake);
    },
    disconnect: (name) => {
      events.push(`disconnect ${name}`);
      return 2;
    },
  };
  return { control, events };
}

async function run(before: BrokerConfig, after: BrokerConfig, control: ListenerControl) {
  for (const l of Object.values(before.listeners)) control.open.push(await control.start(l));
  return applyListenerChanges(control, planReconfiguration(before, after), before.listeners);
}

describe('applyListenerChanges', () => {
  it('removes (clients disconnected first), adds, and moves a listener to another port new-first (its clients disconnected once it is bound)', async () => {
    const { control, events } = fakeControl();
    const result = await run(
      configOf(listener('a', 1883), listener('old', 1884)),
      configOf(listener('a', 1890), listener('ws2', 9001, { type: 'ws' })),
      control,
    );
    expect(events.slice(2)).toEqual([
      'disconnect old',
      'close old:1884',
      'bind a:1890',
      'disconnect a',
      'close a:1883',
      'bind ws2:9001',
    ]);
    expect(result.changes).toEqual([
      'listener old removed (2 client(s) disconnected)',
      'listener a changed, bound again on 127.0.0.1:1890 (tcp) (2 client(s) disconnected)',
      'listener ws2 added on 127.0.0.1:9001 (ws)',
    ]);
    expect(Object.keys(result.applied)).toEqual(['a', 'ws2']);
    expect(control.open.map((l) => l.address().port)).toEqual([1890, 9001]);
  });

  it('keeps a listener serving when its new port cannot be bound', async () => {
    const { control } = fakeControl({ busy: [1890] });
    const result = await run(configOf(listener('a', 1883)), configOf(listener('a', 1890)), control);
    expect(result.failures).toEqual(['listener a: port 1890 in use; it stays as it was']);
    expect(result.applied.a?.port).toBe(1883);
    expect(control.open.map((l) => l.address().port)).toEqual([1883]);
  });

  it('binds the old listener again when a same-port change cannot be bound', async () => {
    // Same port, another kind: the old one must close first; the new kind fails, the old one comes back.
    const { control, events } = fakeControl({ refuse: (config) => config.type === 'ws' });
    const result = await run(configOf(listener('a', 1883)), configOf(listener('a', 1883, { type: 'ws' })), control);
    expect(events).toEqual(['bind a:1883', 'disconnect a', 'close a:1883', 'bind a:1883']);
    expect(result.failures).toEqual(['listener a: boom; it was bound again as it was']);
    expect(result.applied.a?.type).toBe('tcp');
    expect(control.open).toHaveLength(1);
  });

  it('reports a TLS reload only when the files changed, and applies only the TLS file paths', async () => {
    const secure = listener('s', 8883, { ssl: true, certfile: '/c1', keyfile: '/k' });
    const next = { ...secure, certfile: '/c2', max_connections: 5 };
    for (const changed of [true, false]) {
      const { control } = fakeControl({ tlsChanged: changed });
      const result = await run(configOf(secure), configOf(next), control);
      expect(result.changes).toEqual(changed ? ['listener s: TLS certificate reloaded (new handshakes use it)'] : []);
      expect(result.applied.s).toEqual({ ...secure, certfile: '/c2' });
    }
  });
});
