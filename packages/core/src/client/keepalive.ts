/**
 * Keepalive of one client (MQTT 3.1.2.10): a PINGREQ goes out ping_delay seconds before keep_alive runs out
 * (at least half of keep_alive), as aMQTT does, so it reaches the broker before the broker's own timeout.
 * A PINGREQ left without PINGRESP for `pingTimeout` seconds means the connection is dead.
 */
import { ClientError, ClientErrorCode } from './errors.js';

export class Keepalive {
  /** Date.now() of the last packet sent: any packet resets the idle clock. */
  lastSent = 0;
  #keepalive = 0;
  #timer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  readonly #pingDelay: number;
  readonly #pingTimeout: number;
  readonly #ping: () => void;
  readonly #dead: (err: ClientError) => void;

  constructor(pingDelay: number, pingTimeout: number, ping: () => void, dead: (err: ClientError) => void) {
    this.#pingDelay = pingDelay;
    this.#pingTimeout = pingTimeout;
    this.#ping = ping;
    this.#dead = dead;
  }

  /** Starts watching a connection that uses `keepalive` seconds (0 = off). */
  start(keepalive: number): void {
    this.stop();
    this.#keepalive = keepalive;
    this.#arm();
  }

  stop(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#pingTimer);
    this.#timer = undefined;
    this.#pingTimer = undefined;
  }

  /** A PINGRESP arrived. */
  pong(): void {
    clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  get #interval(): number {
    const ka = this.#keepalive;
    return Math.max(ka - this.#pingDelay, ka / 2) * 1000;
  }

  #arm(): void {
    if (this.#keepalive === 0) return;
    const due = this.lastSent + this.#interval - Date.now();
    this.#timer = setTimeout(() => this.#check(), Math.max(due, 0));
  }

  #check(): void {
    // Checking the clock when the timer fires is cheaper than resetting a timer on every send.
    if (Date.now() - this.lastSent >= this.#interval - 5 && this.#pingTimer === undefined) {
      this.#ping();
      const timeout = this.#pingTimeout;
      this.#pingTimer = setTimeout(() => {
        this.#pingTimer = undefined;
        this.#dead(new ClientError(ClientErrorCode.timeout, `no PINGRESP within ${timeout} s: the connection is dead`));
      }, timeout * 1000);
    }
    this.#arm();
  }
}
