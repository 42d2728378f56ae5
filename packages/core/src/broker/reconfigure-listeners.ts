/**
 * The listener part of a config reload (`Broker.reconfigure`): removed listeners closed (their clients
 * disconnected with DISCONNECT 0x98 first), added ones bound, changed ones (address, kind, TLS on or off,
 * require_certificate) closed and bound again, kept tls/wss listeners given their certificate, key and CA
 * again when the files changed. A failure touches only its listener: it keeps running as it was when it
 * can, and the config in force (`applied`) says what each listener really is.
 */
import type { ListenerConfig } from '../config/types.js';
import type { Listener } from './listeners.js';
import type { ReconfigurePlan } from './reconfigure-plan.js';

export interface ListenerControl {
  /** The open listeners, changed in place. */
  readonly open: Listener[];
  /** Binds a listener (startListener with the broker's options). */
  start(config: ListenerConfig): Promise<Listener>;
  /** Disconnects the clients connected through the listener `name`; returns how many. */
  disconnect(name: string, reason: string): number;
}

export interface ListenerChanges {
  readonly changes: string[];
  readonly failures: string[];
  /** The listener configs in force afterwards, by name. */
  readonly applied: Record<string, ListenerConfig>;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** `err`'s message without the `listener NAME: ` it may start with (bind errors name their listener). */
const reason = (name: string, err: unknown): string => {
  const text = message(err);
  const prefix = `listener ${name}: `;
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
};

function describe(listener: Listener, config: ListenerConfig): string {
  const { host, port } = listener.address();
  return `on ${host}:${port} (${config.type}${config.ssl ? ', TLS' : ''})`;
}

export async function applyListenerChanges(
  control: ListenerControl,
  plan: ReconfigurePlan,
  before: Readonly<Record<string, ListenerConfig>>,
): Promise<ListenerChanges> {
  const changes: string[] = [];
  const failures: string[] = [];
  const applied: Record<string, ListenerConfig> = { ...before };
  const find = (name: string): Listener | undefined => control.open.find((l) => l.name === name);
  const drop = async (listener: Listener): Promise<void> => {
    control.open.splice(control.open.indexOf(listener), 1);
    await listener.close();
  };
  const bind = async (config: ListenerConfig): Promise<Listener> => {
    const listener = await control.start(config);
    control.open.push(listener);
    applied[config.name] = config;
    return listener;
  };

  for (const name of plan.removed) {
    const listener = find(name);
    delete applied[name];
    if (listener === undefined) continue;
    const clients = control.disconnect(name, `listener ${name} removed by a config reload`);
    await drop(listener);
    changes.push(`listener ${name} removed${clients > 0 ? ` (${clients} client(s) disconnected)` : ''}`);
  }

  for (const config of plan.added) {
    const { name } = config;
    const old = find(name);
    const oldConfig = before[name];
    try {
      if (old === undefined || oldConfig === undefined) {
        changes.push(`listener ${name} added ${describe(await bind(config), config)}`);
        continue;
      }
      // A changed listener is another socket: its clients reconnect to the new one. They are disconnected
      // only once the change is sure to happen (a listener that cannot move keeps them).
      const disconnect = (): number => control.disconnect(name, `listener ${name} changed by a config reload`);
      let clients: number;
      const sameAddress = oldConfig.port !== 0 && oldConfig.port === config.port && oldConfig.host === config.host;
      if (sameAddress) {
        // The port must be free first; if the new listener cannot bind, the old one is bound again.
        clients = disconnect();
        await drop(old);
        try {
          await bind(config);
        } catch (err) {
          try {
            await bind(oldConfig);
            failures.push(`listener ${name}: ${reason(name, err)}; it was bound again as it was`);
          } catch (again) {
            delete applied[name];
            failures.push(
              `listener ${name}: ${reason(name, err)}; binding it again as it was failed too (${message(again)}): ` +
                'it is closed until the next reload or restart',
            );
          }
          continue;
        }
      } else {
        // Another address: the new listener first, so the old one keeps serving if it cannot bind.
        await bind(config);
        clients = disconnect();
        await drop(old);
      }
      const moved = `${clients > 0 ? ` (${clients} client(s) disconnected)` : ''}`;
      changes.push(`listener ${name} changed, bound again ${describe(find(name) ?? old, config)}${moved}`);
    } catch (err) {
      failures.push(
        `listener ${name}: ${reason(name, err)}; ${old === undefined ? 'not added' : 'it stays as it was'}`,
      );
    }
  }

  for (const config of plan.tls) {
    const listener = find(config.name);
    if (listener === undefined) continue;
    try {
      if (await listener.reloadTls(config))
        changes.push(`listener ${config.name}: TLS certificate reloaded (new handshakes use it)`);
      // Only the TLS files are applied: another change to a kept listener waits for a restart (reported).
      const { certfile, keyfile, cafile, capath } = config;
      applied[config.name] = { ...(applied[config.name] ?? config), certfile, keyfile, cafile, capath };
    } catch (err) {
      failures.push(`listener ${config.name}: ${message(err)}; it keeps the TLS certificate it had`);
    }
  }
  return { changes, failures, applied };
}
