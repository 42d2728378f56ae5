import type { BrokerEventName, BrokerEvents, Logger } from '../plugin-api/types.js';
import type { PluginHostLike } from './plugin-port.js';

export type BrokerEventListener<K extends BrokerEventName> = (event: BrokerEvents[K]) => void;

/**
 * Fans broker events out to plugin hooks and to `broker.on(...)` listeners. Callers ask `wants(event)`
 * first so payloads are only built when someone listens (hooks nobody registers cost nothing).
 */
export class EventBus {
  host: PluginHostLike | undefined;
  private readonly local = new Map<BrokerEventName, Set<BrokerEventListener<never>>>();
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  wants(event: BrokerEventName): boolean {
    return this.local.has(event) || (this.host !== undefined && this.host.hasHook(event));
  }

  emit<K extends BrokerEventName>(event: K, payload: BrokerEvents[K]): void {
    if (this.host !== undefined && this.host.hasHook(event)) this.host.emit(event, payload);
    const set = this.local.get(event);
    if (set === undefined) return;
    for (const fn of set) {
      try {
        fn(payload as never);
      } catch (err) {
        // A listener's failure must not break the broker's own flow.
        this.log.error({ err, event }, 'broker event listener threw');
      }
    }
  }

  on<K extends BrokerEventName>(event: K, fn: BrokerEventListener<K>): void {
    let set = this.local.get(event);
    if (set === undefined) this.local.set(event, (set = new Set()));
    set.add(fn);
  }

  off<K extends BrokerEventName>(event: K, fn: BrokerEventListener<K>): void {
    const set = this.local.get(event);
    if (set === undefined) return;
    set.delete(fn);
    if (set.size === 0) this.local.delete(event);
  }
}
