/**
 * Disconnects a client when its token expires: a token is checked at CONNECT only, so without this a
 * client keeps the rights of an expired token for as long as its connection lasts.
 */
import type { BrokerApi, ClientInfo } from '@midge/mqtt-core';

/** setTimeout's largest delay; a later expiry waits in steps. */
const MAX_DELAY_MS = 2_147_483_647;

export class ExpiryTimers {
  readonly #timers = new Map<ClientInfo, NodeJS.Timeout>();
  readonly #broker: BrokerApi;

  constructor(broker: BrokerApi) {
    this.#broker = broker;
  }

  get size(): number {
    return this.#timers.size;
  }

  /** Closes `client`'s connection at `expSeconds` (epoch seconds), `graceMs` later to honour the clock tolerance. */
  schedule(client: ClientInfo, expSeconds: number, graceMs: number): void {
    this.cancel(client);
    const at = expSeconds * 1000 + graceMs;
    const arm = () => {
      const delay = Math.max(0, at - Date.now());
      const timer = setTimeout(
        () => {
          if (delay > MAX_DELAY_MS) return arm();
          this.#timers.delete(client);
          // Matched by identity: another connection with the same client id is not this token's.
          this.#broker.disconnectClients((c) => c === client, 'token expired');
        },
        Math.min(delay, MAX_DELAY_MS),
      );
      // A pending expiry must not keep the process alive after the broker closed.
      timer.unref();
      this.#timers.set(client, timer);
    };
    arm();
  }

  cancel(client: ClientInfo): void {
    const timer = this.#timers.get(client);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(client);
  }

  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
